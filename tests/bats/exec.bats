#!/usr/bin/env bats
# exec: a process started in a running container joins all of its
# namespaces and its cgroup, and gets the container's (or the --process
# JSON's) identity and confinement.

load helpers


setup() {
	setup_bundle
}

teardown() {
	stop_hogs
	teardown_containers
	stop_recvtty
}

# stop_hogs ends the busy loops a test started as CPU load.
stop_hogs() {
	local p
	for p in ${HOG_PIDS[@]+"${HOG_PIDS[@]}"}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	HOG_PIDS=()
}

# wait_jobs_except PID...: wait for every background job but these.
wait_jobs_except() {
	local j
	for j in $(jobs -p); do
		[[ " $* " == *" $j "* ]] || wait "$j" || true
	done
}

# run_container ID: start the default bundle detached; the init creates
# /tmp/from-init in the container's /tmp first.
run_container() {
	set_cmd 'echo hello >/tmp/from-init; trap "exit 143" TERM; sleep 1000 & wait'
	ocirun run -d "$1"
	expect_status 0
	local deadline=$((SECONDS + 10))
	until ocirun exec "$1" test -e /tmp/from-init && [ "$status" -eq 0 ]; do
		[ $SECONDS -lt $deadline ] || fail "the container never created /tmp/from-init" || return 1
		sleep 0.1
	done
}

@test "exec joins the container's namespaces, cgroup and filesystem" {
	run_container ct1
	local pid
	pid=$(state_field ct1 pid)
	ocirun exec ct1 sh -c 'hostname; cat /tmp/from-init; echo pid=$$; for t in mnt uts ipc net pid cgroup; do echo "$t $(readlink /proc/self/ns/$t)"; done; cat /proc/self/cgroup; ps -o pid,args'
	expect_status 0
	grep -qx "$(jq -r .hostname config.json)" <<<"$stdout" || fail "not the container's hostname: $stdout"
	grep -qx hello <<<"$stdout" || fail "the init's /tmp file is not visible: $stdout"
	grep -qx 'pid=1' <<<"$stdout" && fail "exec'd process is pid 1"
	grep -qE '^ *1 +sh -c echo hello' <<<"$stdout" || fail "ps does not show the container's init as pid 1: $stdout"
	local t
	for t in mnt uts ipc net pid cgroup; do
		grep -qxF "$t $(readlink /proc/$pid/ns/$t)" <<<"$stdout" || fail "$t namespace differs from the init's: $stdout"
	done
	# Same cgroups as the init (seen through the cgroup namespace, both
	# are the container's root).
	local init_cg exec_cg
	init_cg=$(sort /proc/$pid/cgroup)
	exec_cg=$(grep -E '^[0-9]+:' <<<"$stdout" | sort)
	ocirun exec ct1 cat /proc/1/cgroup
	[ "$exec_cg" = "$(sort <<<"$stdout")" ] || fail "exec cgroup differs from the init's: $exec_cg vs $stdout"
	[ -n "$init_cg" ]
}

@test "exec passes on the exit status and signals" {
	run_container ct1
	ocirun exec ct1 sh -c 'exit 7'
	expect_status 7
	ocirun exec ct1 sh -c 'kill -KILL $$'
	expect_status 137
	ocirun exec ct1 /no/such/binary
	expect_failure
	expect_output_contains 'no such file|not found'
}

@test "exec with --process JSON: args, env, cwd, user" {
	! rootless || [ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 sets no additional groups in a rootless container"
	map_other_ids
	run_container ct1
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'JSON'
		{"args": ["sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G"],
		 "env": ["PATH=/bin:/usr/bin", "FOO=from-json"],
		 "cwd": "/etc",
		 "user": {"uid": 1000, "gid": 1000, "additionalGids": [1001]}}
	JSON
	ocirun exec --process "$BATS_TEST_TMPDIR/process.json" ct1
	expect_status 0
	[ "${lines[0]}" = from-json ] || fail "env: $output"
	[ "${lines[1]}" = /etc ] || fail "cwd: $output"
	[ "${lines[2]}" = 1000 ] || fail "uid: $output"
	[ "${lines[3]}" = 1000 ] || fail "gid: $output"
	grep -qw 1001 <<<"${lines[4]}" || fail "additional gids: $output"
}

@test "exec flags: --env, --cwd, --user, --additional-gids" {
	! rootless || [ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 sets no additional groups in a rootless container"
	map_other_ids
	run_container ct1
	ocirun exec --env FOO=bar --cwd /tmp --user 1234:5678 --additional-gids 42 ct1 sh -c 'echo $FOO; pwd; id -u; id -g; id -G'
	expect_status 0
	[ "$output" = $'bar\n/tmp\n1234\n5678\n5678 42' ] || fail "output: $output"
}

@test "exec'd process has the container's capabilities, no_new_privs and seccomp" {
	update_config '.process.noNewPrivileges = true |
		.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	run_container ct1
	local pid
	pid=$(state_field ct1 pid)
	ocirun exec ct1 sh -c 'grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?'
	expect_status 0
	local f
	for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
		grep -qF "$(grep "^$f:" /proc/$pid/status)" <<<"$stdout" || fail "$f differs from the init's ($(grep "^$f:" /proc/$pid/status)): $stdout"
	done
	grep -qE '^Seccomp:[[:space:]]+2' <<<"$stdout" || fail "no seccomp filter: $stdout"
	grep -qi 'operation not permitted' <<<"$stdout" || fail "mkdir was not denied by the filter: $stdout"
}

@test "exec --cap adds to bounding/effective/permitted, never inheritable or ambient" {
	run_container ct1
	ocirun exec --cap CAP_SYS_ADMIN ct1 sh -c 'grep -E "^Cap(Inh|Eff|Amb):" /proc/self/status'
	expect_status 0
	grep -qE '^CapInh:[[:space:]]+0000000000000000$' <<<"$stdout" || fail "inheritable set not empty: $stdout"
	grep -qE '^CapAmb:[[:space:]]+0000000000000000$' <<<"$stdout" || fail "ambient set not empty: $stdout"
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' <<<"$stdout")
	(( (0x$eff >> 21) & 1 )) || fail "CAP_SYS_ADMIN (21) not effective: $stdout"
}

@test "exec into a user-namespaced container sees the mapping" {
	requires_root "maps host ids 200000-265535, which the user does not own (rootless.bats maps subordinate ids)"
	update_config '.linux.namespaces += [{"type": "user"}] |
		.linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	chmod -R o+rX "$BUNDLE"
	local d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	run_container ct1
	ocirun exec ct1 sh -c 'cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user'
	expect_status 0
	grep -qE '^ *0 +200000 +65536$' <<<"$stdout" || fail "uid_map: $stdout"
	[ "${lines[1]}" = 0 ] || fail "not root in the user namespace: $output"
	[ "${lines[2]}" = "$(readlink /proc/$(state_field ct1 pid)/ns/user)" ] || fail "user namespace differs: $output"
}

@test "exec into a container that joined another container's namespaces" {
	requires_root "joins namespaces owned by another container's user namespace (rootless.bats joins it too)"
	run_container ctA
	local pidA
	pidA=$(state_field ctA pid)
	local B=$BATS_TEST_TMPDIR/bundleB
	new_bundle "$B"
	set_args "$B" "${LONG_RUNNING[@]}"
	update_config "del(.hostname) | .linux.namespaces |= map(
		if .type == \"network\" or .type == \"uts\" or .type == \"ipc\" then .path = \"/proc/$pidA/ns/\" + (if .type == \"network\" then \"net\" else .type end) else . end)" "$B"
	ocirun run -d --bundle "$B" ctB
	expect_status 0
	ocirun exec ctB sh -c 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
	expect_status 0
	[ "${lines[0]}" = "$(jq -r .hostname config.json)" ] || fail "not ctA's hostname: $output"
	[ "${lines[1]}" = "$(readlink /proc/$pidA/ns/net)" ] || fail "not ctA's network namespace: $output"
	[ "${lines[2]}" = "$(readlink /proc/$pidA/ns/ipc)" ] || fail "not ctA's ipc namespace: $output"
}

@test "exec --detach with --pid-file; the process runs in the container" {
	! rootless || [ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 finds the processes through the cgroup, which a rootless container without a delegated one lacks"
	run_container ct1
	ocirun exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" ct1 sleep 300
	expect_status 0
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	pid_alive "$pid" || fail "exec'd process $pid is not running"
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(state_field ct1 pid)/ns/pid)" ] || fail "not in the container's pid namespace"
	ocirun ps --format json ct1
	expect_status 0
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$stdout" >/dev/null || fail "ps does not list the exec'd process: $stdout"
}

@test "exec with a terminal through --console-socket" {
	[ -x "$RECVTTY" ] || fail "$RECVTTY is missing: run 'make recvtty'"
	run_container ct1
	start_recvtty
	local sock=$SOCK out=$TTY_OUT
	ocirun exec --tty --detach --console-socket "$sock" ct1 sh -c 'tty; echo done'
	expect_status 0
	local deadline=$((SECONDS + 10))
	until grep -qx done "$out" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "no terminal output: $(cat "$out" 2>/dev/null)" || return 1
		sleep 0.05
	done
	grep -qxE '/dev/pts/[0-9]+' "$out" || fail "not on a pty: $(cat "$out")"
	! grep -q $'\r' "$out" || fail "CRLF translation on the exec terminal"
}

@test "exec into a stopped or paused container fails cleanly" {
	requires_root "pause needs a freezer cgroup (rootless.bats pauses in a delegated one)"
	run_container ct1
	ocirun pause ct1
	expect_status 0
	ocirun exec ct1 true
	expect_failure
	expect_output_contains 'paused'
	ocirun exec --ignore-paused --detach ct1 true
	expect_status 0
	ocirun resume ct1
	expect_status 0
	ocirun kill ct1 KILL
	wait_for_status ct1 stopped
	ocirun exec ct1 true
	expect_failure
	expect_output_contains 'not running|stopped'
	[ -z "$(runtime_pids)" ] || fail "runtime processes left: $(runtime_pids)"
}

@test "exec --process: rlimits, umask, HOME from /etc/passwd, only stdio and preserved fds" {
	map_other_ids
	run_container ct1
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'JSON'
		{"args": ["sh", "-c", "ulimit -n; ulimit -Hn; umask; echo $HOME; ls /proc/self/fd | tr '\\n' ' '"],
		 "env": ["PATH=/bin:/usr/bin"], "cwd": "/",
		 "user": {"uid": 0, "gid": 0, "umask": 63},
		 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]}
	JSON
	ocirun exec --process "$BATS_TEST_TMPDIR/process.json" ct1
	expect_status 0
	[ "${lines[0]}" = 100 ] || fail "soft NOFILE: $output"
	[ "${lines[1]}" = 200 ] || fail "hard NOFILE: $output"
	# runc 1.1 ignores user.umask in exec.
	runtime_is_runc_before 1.2 || [ "${lines[2]}" = 0077 ] || fail "umask: $output"
	[ "${lines[3]}" = /root ] || fail "HOME of uid 0: $output"
	# ls's own directory fd is 3; nothing of the runtime's is left.
	[ "${lines[4]}" = "0 1 2 3 " ] || fail "fds: $output"
	# A uid without a passwd entry gets HOME=/.
	jq '.args = ["sh", "-c", "echo $HOME"] | .user = {"uid": 4321, "gid": 4321}' \
		"$BATS_TEST_TMPDIR/process.json" >"$BATS_TEST_TMPDIR/nobody.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/nobody.json" ct1
	expect_status 0
	[ "$output" = / ] || fail "HOME of uid 4321: $output"
}

@test "run and exec in the foreground pass signals on to the process" {
	set_cmd 'trap "echo usr1 >>/tmp/sig" USR1; trap "exit 3" TERM; echo ready >/tmp/init-ready; while :; do sleep 0.1; done'
	# Not through the ocirun helper (it would block) nor timeout (it would
	# take the signals itself); teardown's delete -f ends the container, and
	# with it this runtime process, if the test fails.
	"$OCIRUN" --root "$ROOT" run ct1 </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	local runner=$!
	# The traps are set once the marker exists.
	wait_for_file "$BUNDLE/rootfs/tmp/init-ready" || fail "$(cat "$BATS_TEST_TMPDIR/run.out")"
	kill -USR1 "$runner"
	wait_for_file "$BUNDLE/rootfs/tmp/sig"
	"$OCIRUN" --root "$ROOT" exec ct1 sh -c 'trap "echo exec-usr1 >>/tmp/sig; exit 4" USR1; echo ready >/tmp/exec-ready; while :; do sleep 0.1; done' \
		</dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1 &
	local execer=$!
	wait_for_file "$BUNDLE/rootfs/tmp/exec-ready" || fail "$(cat "$BATS_TEST_TMPDIR/exec.out")"
	kill -USR1 "$execer"
	wait_pid_gone "$execer" 20
	local st=0
	wait "$execer" || st=$?
	[ "$st" = 4 ] || fail "exec exited $st, wanted the process's 4: $(cat "$BATS_TEST_TMPDIR/exec.out")"
	grep -qx exec-usr1 "$BUNDLE/rootfs/tmp/sig" || fail "exec'd process did not get USR1: $(cat "$BUNDLE/rootfs/tmp/sig")"
	kill -TERM "$runner"
	wait_pid_gone "$runner" 20
	st=0
	wait "$runner" || st=$?
	[ "$st" = 3 ] || fail "run exited $st, wanted the container's 3: $(cat "$BATS_TEST_TMPDIR/run.out")"
	grep -qx usr1 "$BUNDLE/rootfs/tmp/sig" || fail "init did not get USR1: $(cat "$BUNDLE/rootfs/tmp/sig")"
}

@test "exec --process: a malformed file is named with its line and column" {
	run_container ct1
	printf '{\n  "args": ["true"],\n  "cwd": 5\n}\n' >"$BATS_TEST_TMPDIR/process.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/process.json" ct1
	expect_failure
	expect_output_contains 'process\.json: line 3, column [0-9]+'
}

# The error of a missing program, as the runtime's last line ends.
MISSING_ERR='exec: "/nosuch": stat /nosuch: no such file or directory'

@test "exec of a missing program: its error arrives whole when stage 0 is slow to report the pid" {
	command -v strace >/dev/null || skip "strace is not installed"
	run_container ct1
	# Every write(2) of the runtime and its init stages returns 20 ms late:
	# if stage 0 wrote a message in parts, or its child could write while
	# stage 0 was still reporting the pid, the child's error would land in
	# the middle of stage 0's message.
	local i out
	for i in 1 2 3 4 5; do
		out=$(timeout 60 strace -f -qq -o /dev/null -e trace=write -e inject=write:delay_exit=20000 \
			"$OCIRUN" --root "$ROOT" exec ct1 /nosuch 2>&1 </dev/null) && fail "exec of /nosuch succeeded"
		[[ $(tail -n 1 <<<"$out") == *"$MISSING_ERR" ]] || fail "attempt $i: $out"
	done
}

@test "parallel execs of a missing program under CPU load all report its error" {
	run_container ct1
	# Everything on one CPU, with a busy loop there too: stage 0, its child
	# and the runtime then preempt each other at random points. Before
	# stage 0 sent its pid in one write and held its child back, about one
	# exec in 300 reported a garbled message here (one in 1400 without the
	# busy loop). teardown ends the loop if the test fails.
	local cpu i r out bad=0
	cpu=$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')
	HOG_PIDS=()
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	HOG_PIDS+=($!)
	for r in $(seq 10); do
		for i in $(seq 15); do
			taskset -c "$cpu" "$OCIRUN" --root "$ROOT" exec ct1 /nosuch >"$BATS_TEST_TMPDIR/par.$i" 2>&1 </dev/null &
		done
		wait_jobs_except "${HOG_PIDS[@]}"
		for i in $(seq 15); do
			out=$(tail -n 1 "$BATS_TEST_TMPDIR/par.$i")
			[[ $out == *"$MISSING_ERR" ]] || { echo "round $r, exec $i: $out"; bad=$((bad + 1)); }
		done
	done
	stop_hogs
	[ "$bad" -eq 0 ] || fail "$bad of 150 execs reported something else"
}

@test "a runtime in a chroot: exec'd processes run in the container's root, and nothing climbs out" {
	requires_root "mounts the chroot's filesystems"
	# The runtime runs chrooted in a tmpfs (a mount point, as pivot_root
	# requires of the root) that holds the host's /usr, /proc, /sys and /dev
	# and, at their own paths, the repository and this test's directory.
	# The container's mount namespace is then a copy of one whose root is
	# the host's /, not the chroot.
	local jail=$BATS_TEST_TMPDIR/jail
	mkdir -p "$BUNDLE/rootfs/probe" "$jail"
	echo container >"$BUNDLE/rootfs/probe/where"
	[ ! -e /probe ] || skip "the host has a /probe, which this test needs to be absent"
	command -v gcc >/dev/null || skip "gcc is not installed"
	cat >"$BATS_TEST_TMPDIR/climb.c" <<-'C'
		#include <stdio.h>
		#include <unistd.h>
		#include <sys/stat.h>
		int main(void)
		{
			mkdir("/climb-sub", 0700);
			if (chroot("/climb-sub") < 0) { perror("chroot /climb-sub"); return 1; }
			for (int i = 0; i < 256; i++)
				if (chdir("..") < 0) { perror("chdir .."); return 1; }
			if (chroot(".") < 0) { perror("chroot ."); return 1; }
			puts(access("/probe/where", F_OK) == 0 ? "contained" : "escaped");
			return 0;
		}
	C
	gcc -static -o "$BUNDLE/rootfs/climb" "$BATS_TEST_TMPDIR/climb.c"
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_CHROOT"] | .value |= unique)'
	cat >"$BATS_TEST_TMPDIR/in-chroot.sh" <<-'SCRIPT'
		set -eu
		jail=$1 dir=$2 repo=$3
		mount -t tmpfs -o mode=0755 jail "$jail"
		for d in usr proc sys dev tmp "${dir#/}" "${repo#/}"; do mkdir -p "$jail/$d"; done
		for l in bin sbin lib lib64; do [ ! -L /$l ] || ln -s "$(readlink /$l)" "$jail/$l"; done
		mount --rbind /usr "$jail/usr"
		mount -t proc proc "$jail/proc"
		mount --rbind /sys "$jail/sys"
		mount --rbind /dev "$jail/dev"
		mount --bind "$repo" "$jail$repo"
		mount --bind "$dir" "$jail$dir"
		shift 3
		exec chroot "$jail" "$@"
	SCRIPT
	in_chroot() {
		timeout -k 5 "$OCIRUN_TIMEOUT" unshare -m --propagation private \
			bash "$BATS_TEST_TMPDIR/in-chroot.sh" "$jail" "$BATS_TEST_TMPDIR" "$REPO" \
			"$OCIRUN" --root "$ROOT" "$@" </dev/null
	}
	in_chroot create --bundle "$BUNDLE" ct1 || fail "create from the chroot failed"
	in_chroot start ct1 || fail "start from the chroot failed"
	local out
	# /probe exists only in the container: run outside it, the process
	# could neither read nor write there.
	out=$(in_chroot exec ct1 sh -c 'cat /probe/where && echo exec >/probe/out' 2>&1) ||
		fail "exec from the chroot failed: $out"
	[ "$out" = container ] || fail "exec'd process read $out"
	[ "$(cat "$BUNDLE/rootfs/probe/out")" = exec ] || fail "exec'd process did not write into the container's root"
	out=$(in_chroot exec --cwd /probe ct1 sh -c 'pwd; ls' 2>&1) || fail "exec --cwd from the chroot failed: $out"
	[ "$out" = $'/probe\nout\nwhere' ] || fail "exec --cwd /probe: $out"
	# The same through a process file, with an I/O priority for the finisher.
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'JSON'
		{"args": ["sh", "-c", "cat /probe/where && echo stage1 >/probe/out1"], "cwd": "/",
		 "env": ["PATH=/bin:/usr/bin"], "user": {"uid": 0, "gid": 0},
		 "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}}
	JSON
	out=$(in_chroot exec --process "$BATS_TEST_TMPDIR/process.json" ct1 2>&1) ||
		fail "exec through stage 1 from the chroot failed: $out"
	[ "$out" = container ] || fail "exec'd process (stage 1) read $out"
	[ "$(cat "$BUNDLE/rootfs/probe/out1")" = stage1 ] || fail "exec'd process (stage 1) did not write into the container's root"
	# The classic chroot escape (chroot into a subdirectory, climb ".."
	# from the old root, chroot there) must end at the container's root:
	# the host's / is not in the container's mount namespace.
	out=$(in_chroot exec ct1 /climb 2>&1) || fail "exec /climb from the chroot failed: $out"
	[ "$out" = "contained" ] || fail "a process that may chroot climbed out of the container: $out"
	in_chroot delete --force ct1 || fail "delete from the chroot failed"
}

# cgroup_dirs PID: "CONTROLLERS DIR" for each cgroup hierarchy of PID, DIR
# being its directory on the host (CONTROLLERS is "-" for cgroup2).
cgroup_dirs() {
	local id ctrls rel mnt
	while IFS=: read -r id ctrls rel; do
		if [ -z "$ctrls" ]; then
			mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
		else
			mnt=$(awk -v c="${ctrls%%,*}" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") {print $2; exit}' /proc/self/mounts)
		fi
		[ -n "$mnt" ] && echo "${ctrls:--} $mnt$rel"
	done </proc/"$1"/cgroup
}

# v1_cgroup_dir PID CONTROLLER: the host directory of PID's cgroup in the
# v1 hierarchy of CONTROLLER; nothing without one.
v1_cgroup_dir() {
	cgroup_dirs "$1" | awk -v c="$2" '$1 ~ ("(^|,)" c "(,|$)") {print $2}'
}

# make_sub_cgroup DIR: an empty child cgroup DIR that can take tasks (a
# cpuset child starts with no CPUs and no memory nodes).
make_sub_cgroup() {
	mkdir "$1"
	if [ -e "$1/cpuset.cpus" ]; then
		cat "$(dirname "$1")/cpuset.cpus" >"$1/cpuset.cpus"
		cat "$(dirname "$1")/cpuset.mems" >"$1/cpuset.mems"
	fi
}

@test "exec --cgroup PATH runs the process in that sub-cgroup of every hierarchy" {
	requires_root "makes sub-cgroups of the container's cgroup"
	run_container ct1
	local pid ctrls dir subs=()
	pid=$(state_field ct1 pid)
	while read -r ctrls dir; do
		make_sub_cgroup "$dir/sub"
		subs+=("$dir/sub")
	done < <(cgroup_dirs "$pid")
	ocirun exec --cgroup sub ct1 cat /proc/self/cgroup
	local st=$status out=$stdout
	rmdir "${subs[@]}"
	[ "$st" = 0 ] || fail "exec --cgroup sub failed: $output"
	# The container's cgroup namespace shows its own cgroup as "/".
	[ "$(grep -cv ':/sub$' <<<"$out")" = 0 ] || fail "not in every sub-cgroup: $out"
}

@test "exec --cgroup CONTROLLER:PATH moves only the controllers named" {
	requires_root "makes sub-cgroups of the container's cgroup"
	run_container ct1
	local pid mem pids
	pid=$(state_field ct1 pid)
	mem=$(v1_cgroup_dir "$pid" memory)
	pids=$(v1_cgroup_dir "$pid" pids)
	[ -n "$mem" ] && [ -n "$pids" ] || skip "needs cgroup v1 memory and pids hierarchies"
	make_sub_cgroup "$mem/a"
	make_sub_cgroup "$pids/b"
	make_sub_cgroup "$pids/b/c"
	ocirun exec --cgroup memory:a --cgroup pids:/b/c ct1 cat /proc/self/cgroup
	local st=$status out=$stdout
	rmdir "$mem/a" "$pids/b/c" "$pids/b"
	[ "$st" = 0 ] || fail "exec failed: $output"
	grep -qE '^[0-9]+:memory:/a$' <<<"$out" || fail "memory: $out"
	grep -qE '^[0-9]+:pids:/b/c$' <<<"$out" || fail "pids: $out"
	[ "$(grep -Ev ':(memory|pids):' <<<"$out" | grep -cv ':/$')" = 0 ] || fail "other controllers moved: $out"
}

@test "exec --cgroup into a missing or escaping sub-cgroup fails and starts nothing" {
	requires_root "needs the container's cgroup"
	run_container ct1
	ocirun exec --cgroup nope ct1 touch /tmp/ran
	expect_failure
	expect_output_contains 'sub-cgroup "nope".*no such file or directory'
	ocirun exec --cgroup ../.. ct1 touch /tmp/ran
	expect_failure
	expect_output_contains 'not a path below the container'
	ocirun exec --cgroup a --cgroup b ct1 touch /tmp/ran
	expect_failure
	expect_output_contains 'CONTROLLER: prefix'
	ocirun exec ct1 sh -c 'test -e /tmp/ran && echo ran || echo none'
	[ "$stdout" = none ] || fail "a failed exec ran its process: $output"
	[ "$(container_status ct1)" = running ] || fail "the container is $(container_status ct1)"
}

@test "exec --ignore-paused --cgroup: frozen in the container's freezer, in the sub-cgroup named" {
	requires_root "makes sub-cgroups and pauses"
	run_container ct1
	local pid mem xpid
	pid=$(state_field ct1 pid)
	mem=$(v1_cgroup_dir "$pid" memory)
	[ -n "$mem" ] || skip "needs a cgroup v1 memory hierarchy"
	make_sub_cgroup "$mem/a"
	ocirun pause ct1
	expect_status 0
	ocirun exec --ignore-paused --detach --pid-file "$BATS_TEST_TMPDIR/x.pid" --cgroup memory:a ct1 sh -c 'echo done >/tmp/x'
	expect_status 0
	xpid=$(cat "$BATS_TEST_TMPDIR/x.pid")
	grep -qE ":memory:.*/a\$" /proc/$xpid/cgroup || fail "memory: $(cat /proc/$xpid/cgroup)"
	[ "$(grep :freezer: /proc/$xpid/cgroup | cut -d: -f3)" = "$(grep :freezer: /proc/$pid/cgroup | cut -d: -f3)" ] ||
		fail "not in the container's freezer: $(cat /proc/$xpid/cgroup)"
	ocirun resume ct1
	expect_status 0
	wait_pid_gone "$xpid" 10
	rmdir "$mem/a"
	ocirun exec ct1 cat /tmp/x
	[ "$stdout" = done ] || fail "the exec'd process did not run after resume: $output"
}
