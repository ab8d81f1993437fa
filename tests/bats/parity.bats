#!/usr/bin/env bats
# One process, every way in: the same process settings started through
# run, create+start, create+start with a startContainer hook (the one path
# where Go keeps the start), exec, and exec into a paused container (which
# goes through stage 1) must give the same process, field by field, as the
# kernel reports it inside the container; and the same bad input must give
# the same error text on every path.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

# The probe reports the shell's own credentials and limits (/proc/$$, not a
# child's, whose capabilities an exec recomputes), its umask and cwd, the
# personality (uname -m), nice and scheduling policy, I/O priority, and whether the seccomp filter bites (mkdir fails
# with the rule's errno, not the EACCES a uid 1000 would get).
PROBE='grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):" /proc/$$/status
grep -E "^Max (open files|core file size|processes)" /proc/$$/limits
echo umask $(umask); echo cwd $(pwd); echo arch $(uname -m)
echo nice,policy $(cut -d" " -f19,41 /proc/$$/stat); echo io $(ionice -p $$)
mkdir /parity-probe 2>&1 | sed "s/.*: //"'

# settings NNP: one process configuration that touches every step.
settings() {
	update_config '
		.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 23}
		| .process.cwd = "/tmp"
		| .process.noNewPrivileges = '"$1"'
		| .process.capabilities = {
			"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
			"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"inheritable": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_NET_BIND_SERVICE"]}
		| .process.rlimits = [
			{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
			{"type": "RLIMIT_CORE", "soft": 1024, "hard": 4096},
			{"type": "RLIMIT_NPROC", "soft": 5000, "hard": 6000}]
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}
		| .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .linux.personality = {"domain": "LINUX32"}
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}'
}

# through_every_path: runs the configured process with PROBE through every
# path and fails unless all report the same, which is left in $PROBED.
through_every_path() {
	local -A got
	set_cmd "$PROBE"

	ocirun run p-run
	expect_status 0
	got[run]=$stdout

	ocirun create p-create
	expect_status 0
	local n=$OCIRUN_CALLS
	ocirun start p-create
	expect_status 0
	wait_for_status p-create stopped
	got[create+start]=$(cat "$BATS_TEST_TMPDIR/call.$n.out")

	jq '.hooks.startContainer = [{"path": "/bin/true"}]' config.json >hooked.json
	mkdir -p hooked && mv hooked.json hooked/config.json && ln -s "$BUNDLE/rootfs" hooked/rootfs
	ocirun run --bundle hooked p-hook
	expect_status 0
	got[startContainer hook]=$stdout

	jq '.process' config.json >process.json
	set_args "$BUNDLE" "${LONG_RUNNING[@]}"
	ocirun run -d p-exec
	expect_status 0
	ocirun exec --process process.json p-exec
	expect_status 0
	got[exec]=$stdout

	ocirun pause p-exec
	expect_status 0
	ocirun exec -d --ignore-paused --process process.json p-exec
	expect_status 0
	n=$OCIRUN_CALLS
	ocirun resume p-exec
	expect_status 0
	local i
	for i in $(seq 100); do
		grep -q '^arch' "$BATS_TEST_TMPDIR/call.$n.out" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.2
	got[exec while paused]=$(cat "$BATS_TEST_TMPDIR/call.$n.out")

	[ -n "${got[run]}" ] || fail "run printed nothing"
	echo "run:"
	sed 's/^/    /' <<<"${got[run]}"
	local path
	for path in "${!got[@]}"; do
		[ "${got[$path]}" = "${got[run]}" ] ||
			fail "$path differs from run: $(diff <(echo "${got[run]}") <(echo "${got[$path]}"))"
	done
	PROBED=${got[run]}
}

# expect_probe REGEX OUTPUT: a line of the probe's output matches.
expect_probe() {
	grep -qE "$1" <<<"$2" || fail "no /$1/ in: $2"
}

@test "parity: identity, capabilities, rlimits, umask, cwd, personality, scheduling, seccomp with no_new_privs" {
	settings true
	through_every_path
	expect_probe $'^Uid:\t1000\t1000\t1000\t1000$' "$PROBED"
	expect_probe $'^Groups:\t10 20 ?$' "$PROBED"
	expect_probe $'^CapBnd:\t00000000000004a1$' "$PROBED"
	expect_probe $'^CapAmb:\t0000000000000400$' "$PROBED"
	expect_probe $'^CapInh:\t0000000000000401$' "$PROBED"
	expect_probe $'^NoNewPrivs:\t1$' "$PROBED"
	expect_probe $'^Seccomp:\t2$' "$PROBED"
	expect_probe '^Max open files +100 +200 ' "$PROBED"
	expect_probe '^umask 0027$' "$PROBED"
	expect_probe '^cwd /tmp$' "$PROBED"
	expect_probe '^arch i[3-6]86$' "$PROBED"
	expect_probe '^nice,policy 7 3$' "$PROBED"
	expect_probe '^io best-effort: prio 6$' "$PROBED"
	expect_probe '^Not supported|^Operation not supported' "$PROBED"
}

@test "parity: the same with no_new_privs off (seccomp before the uid switch)" {
	settings false
	through_every_path
	expect_probe $'^NoNewPrivs:\t0$' "$PROBED"
	expect_probe $'^Seccomp:\t2$' "$PROBED"
	expect_probe '^Not supported|^Operation not supported' "$PROBED"
}

# last_line: the runtime's last line on stderr, the one engines show.
last_line() {
	tail -n 1 <<<"$stderr"
}

# same_error_everywhere: create, run and exec of the configured process
# fail with the same last line, which is left in $ERROR_TEXT.
same_error_everywhere() {
	local -A got
	ocirun run e-run
	expect_failure
	got[run]=$(last_line)
	ocirun create e-create
	expect_failure
	got[create]=$(last_line)

	jq '.process' config.json >process.json
	local bad
	bad=$(jq -c '.process' config.json)
	update_config '.process.args = ["sh", "-c", "trap \"exit 143\" TERM; sleep 1000 & wait"] | .process.cwd = "/"'
	ocirun run -d e-exec
	expect_status 0
	ocirun exec --process process.json e-exec
	expect_failure
	got[exec]=$(last_line)
	update_config ".process = $bad"

	local path
	for path in "${!got[@]}"; do
		[ "${got[$path]}" = "${got[run]}" ] || fail "$path: '${got[$path]}', run: '${got[run]}'"
	done
	ERROR_TEXT=${got[run]}
}

@test "parity: a missing executable fails with the same text on every path" {
	set_args "$BUNDLE" /no/such/binary
	same_error_everywhere
	grep -q 'exec: "/no/such/binary": stat /no/such/binary: no such file or directory' <<<"$ERROR_TEXT" ||
		fail "unexpected text: $ERROR_TEXT"
}

@test "parity: a bad cwd fails with the same text on every path" {
	set_args "$BUNDLE" /bin/true
	update_config '.process.cwd = "/no/such/dir"'
	same_error_everywhere
	grep -q 'chdir to process.cwd "/no/such/dir": no such file or directory' <<<"$ERROR_TEXT" ||
		fail "unexpected text: $ERROR_TEXT"
}

@test "parity: the same without seccomp, where run and create+start are built by the runtime" {
	settings true
	update_config 'del(.linux.seccomp)'
	through_every_path
	expect_probe $'^Uid:\t1000\t1000\t1000\t1000$' "$PROBED"
	expect_probe $'^CapBnd:\t00000000000004a1$' "$PROBED"
	expect_probe $'^Seccomp:\t0$' "$PROBED"
	expect_probe '^Max open files +100 +200 ' "$PROBED"
	expect_probe '^nice,policy 7 3$' "$PROBED"
}

# The container as its own process sees it: the mount table (without the
# ids, which differ from run to run), /dev, the names, sysctls, keyring.
TREE_PROBE='sed -E "s/^[0-9]+ [0-9]+ [0-9]+:[0-9]+ //; s/ (shared|master):[0-9]+//g" /proc/self/mountinfo
ls -ln /dev | sed -E "s/ +[A-Z][a-z]{2} +[0-9]+ +[0-9:]+ / /"
hostname; domainname 2>/dev/null; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax
grep -c . /proc/self/mountinfo; echo pid $$; readlink /proc/self/ns/mnt >/dev/null && echo ns ok
cat /proc/self/cgroup | sort | sed "s/:.*//" | tr "\n" " "'

@test "parity: a container the runtime builds has the same tree as one stage 1 builds" {
	[ "$OCIRUN_NAME" = ocirun ] || skip "ocirun's two ways of building a container"
	update_config '.hostname = "parity" | .domainname = "example.org"
		| .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "9000"}
		| .linux.maskedPaths += ["/etc/hostname"] | .linux.readonlyPaths += ["/etc"]
		| .linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}]
		| .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
			{"destination": "/proc2", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "hidepid=2"]}]'
	set_cmd "$TREE_PROBE"

	ocirun --timings run t-built
	expect_status 0
	grep -q ' built=' <<<"$stderr" || fail "run was not built by the runtime: $stderr"
	local built=$stdout

	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	ocirun --timings run t-stage1
	expect_status 0
	! grep -q ' built=' <<<"$stderr" || fail "a createContainer hook did not go through stage 1: $stderr"

	[ "$stdout" = "$built" ] || fail "the trees differ: $(diff <(echo "$built") <(echo "$stdout"))"
	grep -q ' /proc2 rw,nosuid,noexec,relatime - proc proc rw,hidepid=invisible' <<<"$built" || fail "no /proc2 with hidepid: $built"
	grep -q '^parity$' <<<"$built" || fail "no hostname: $built"
	grep -qE '^crw-rw-rw- +1 0 +0 +10, +229 fuse$' <<<"$built" || fail "no /dev/fuse: $built"
	grep -q '^9000$' <<<"$built" || fail "no sysctl: $built"
}

@test "parity: a bad procfs option fails with the same text, built by the runtime or by stage 1, and leaves nothing" {
	[ "$OCIRUN_NAME" = ocirun ] || skip "ocirun's two ways of building a container"
	update_config '.mounts |= map(if .type == "proc" then .options = ["hidepid=bogus"] else . end)'
	ocirun create e-built
	expect_failure
	local built
	built=$(last_line)
	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	ocirun create e-stage1
	expect_failure
	[ "$(last_line)" = "$built" ] || fail "built by the runtime: '$built', by stage 1: '$(last_line)'"
	grep -q 'mount "proc" on /proc: invalid argument' <<<"$built" || fail "unexpected text: $built"
	[ ! -e "$ROOT/e-built" ] && [ ! -e "$ROOT/e-stage1" ] || fail "a state directory is left"
}
