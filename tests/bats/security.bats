#!/usr/bin/env bats
# Process confinement: capabilities, no_new_privs, rlimits, oomScoreAdj,
# sysctls, personality, scheduler, I/O priority, LSM errors, seccomp, masked
# and read-only paths, devices. Each test reads the kernel's own view from
# inside the container (/proc/self/status, /proc/self/limits, stat, ...).

load helpers

setup_file() {
	# The seccomp agent for SCMP_ACT_NOTIFY; built once per run.
	build_seccomp_agent
}

setup() {
	setup_bundle
	AGENT_PID=
}

teardown() {
	teardown_containers
	stop_seccomp_agent
}

# cap_number NAME: the kernel's number of a capability.
cap_number() {
	local names=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID
		CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE
		CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK
		CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE
		CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE
		CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE
		CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG
		CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF
		CAP_CHECKPOINT_RESTORE)
	local i
	for i in "${!names[@]}"; do
		[ "${names[$i]}" = "$1" ] && echo "$i" && return 0
	done
	fail "unknown capability $1"
}

# cap_mask NAME...: the 16-digit hex mask /proc/PID/status prints for a set.
cap_mask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | 1 << $(cap_number "$c")))
	done
	printf '%016x\n' "$m"
}

# status_field NAME [TEXT]: the value of a "Name:\tvalue" line of a
# /proc/PID/status dump (default: $stdout).
status_field() {
	awk -F':[ \t]*' -v k="$1" '$1 == k {print $2}' <<<"${2:-$stdout}"
}

# expect_field NAME WANT: a /proc/self/status field printed by the container.
expect_field() {
	local got
	got=$(status_field "$1")
	[ "$got" = "$2" ] || fail "$1 is '$got', want '$2'"
}

# set_caps JSON-ARRAY-PER-SET: process.capabilities from a jq object.
set_caps() {
	update_config ".process.capabilities = $1"
}

host_has_cap() {
	local eff
	eff=$(status_field CapEff "$(cat /proc/self/status)")
	(((0x$eff >> $(cap_number "$1")) & 1))
}

status_cmd='grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status'

# ---------------------------------------------------------------------------
# Capabilities

@test "caps: the configured sets are the process's sets" {
	set_cmd "$status_cmd"
	ocirun run ct1
	expect_status 0
	local sample
	sample=$(cap_mask CAP_AUDIT_WRITE CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETUID)
	expect_field CapBnd "$sample"
	expect_field CapPrm "$sample"
	expect_field CapEff "$sample"
	expect_field CapInh 0000000000000000
	expect_field CapAmb 0000000000000000
}

@test "caps: a non-root user keeps permitted, inheritable and ambient caps across the uid switch" {
	# Ambient capabilities can only be raised after setuid, from a permitted
	# set that keep-caps carried across it.
	set_caps '{
		"bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_SETUID"],
		"permitted": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
		"effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
		"inheritable": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
		"ambient": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]
	}'
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	# CAP_CHOWN really works: a uid-1000 process gives a file to root.
	set_cmd "id -u; id -g; $status_cmd; touch /tmp/f && chown 0:0 /tmp/f && echo chown-ok"
	ocirun run ct1
	expect_status 0
	[ "${lines[0]}" = 1000 ] || fail "uid: ${lines[0]}"
	[ "${lines[1]}" = 1000 ] || fail "gid: ${lines[1]}"
	expect_field CapBnd "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE CAP_KILL CAP_SETUID)"
	expect_field CapInh "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE CAP_KILL)"
	expect_field CapAmb "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE)"
	expect_field CapPrm "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE)"
	expect_field CapEff "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE)"
	grep -qx chown-ok <<<"$stdout" || fail "chown with CAP_CHOWN failed: $output"
}

@test "caps: a non-root user without ambient caps has none after exec" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd "$status_cmd; touch /tmp/f; chown 0:0 /tmp/f && echo chown-ok; true"
	ocirun run ct1
	expect_status 0
	expect_field CapEff 0000000000000000
	expect_field CapPrm 0000000000000000
	expect_field CapAmb 0000000000000000
	expect_field CapBnd "$(cap_mask CAP_AUDIT_WRITE CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETUID)"
	! grep -qx chown-ok <<<"$stdout" || fail "chown worked without capabilities"
}

@test "caps: an empty bounding set leaves root without capabilities" {
	set_caps '{"bounding": [], "permitted": [], "effective": []}'
	set_cmd "$status_cmd; chown 1:1 /tmp && echo chown-ok; true"
	ocirun run ct1
	expect_status 0
	expect_field CapBnd 0000000000000000
	expect_field CapEff 0000000000000000
	! grep -qx chown-ok <<<"$stdout" || fail "chown worked without capabilities"
}

@test "caps: an unknown capability name is rejected" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc only warns about unknown capabilities"
	set_cmd true
	update_config '.process.capabilities.bounding += ["CAP_NOT_A_THING"]'
	ocirun run ct1
	expect_failure
	expect_output_contains 'CAP_NOT_A_THING'
	expect_output_contains 'process\.capabilities\.bounding\[8\]'
	expect_nothing_left ct1
}

@test "caps: ambient capabilities that are not inheritable are dropped with one warning" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc before 1.2 drops them silently"
	# The capabilities "runc spec" of runc 1.1 writes: an ambient set and no
	# inheritable one.
	update_config '.process.capabilities = {
		"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	set_cmd "$status_cmd"
	ocirun run ct1
	expect_status 0
	expect_field CapAmb 0000000000000000
	[ "$(grep -c warning <<<"$stderr")" = 1 ] || fail "want one warning, got: $stderr"
	grep -qF 'process.capabilities.ambient: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: not in both the permitted and the inheritable set' <<<"$stderr" ||
		fail "warning: $stderr"
}

@test "caps: a capability newer than the running kernel is dropped with a warning" {
	local last
	last=$(cat /proc/sys/kernel/cap_last_cap)
	[ "$last" -lt 40 ] || skip "the kernel knows every capability this test could name (cap_last_cap $last)"
	update_config '.process.capabilities.bounding += ["CAP_CHECKPOINT_RESTORE"]'
	set_cmd "$status_cmd"
	ocirun run ct1
	expect_status 0
	expect_output_contains 'CAP_CHECKPOINT_RESTORE'
}

# ---------------------------------------------------------------------------
# no_new_privs, rlimits, oomScoreAdj

@test "noNewPrivileges sets and leaves NoNewPrivs" {
	set_cmd "$status_cmd"
	update_config '.process.noNewPrivileges = true'
	ocirun run ct1
	expect_status 0
	expect_field NoNewPrivs 1

	update_config '.process.noNewPrivileges = false'
	ocirun run ct2
	expect_status 0
	expect_field NoNewPrivs 0
}

# Every RLIMIT_* with the row /proc/PID/limits shows it in, soft and hard
# (all at most this host's hard limits: raising one needs CAP_SYS_RESOURCE).
RLIMITS=(
	"RLIMIT_CPU|Max cpu time|100|200"
	"RLIMIT_FSIZE|Max file size|1048576|2097152"
	"RLIMIT_DATA|Max data size|1073741824|2147483648"
	"RLIMIT_STACK|Max stack size|4194304|8388608"
	"RLIMIT_CORE|Max core file size|0|1048576"
	"RLIMIT_RSS|Max resident set|1000000|2000000"
	"RLIMIT_NPROC|Max processes|500|1000"
	"RLIMIT_NOFILE|Max open files|512|1000"
	"RLIMIT_MEMLOCK|Max locked memory|65536|131072"
	"RLIMIT_AS|Max address space|8589934592|17179869184"
	"RLIMIT_LOCKS|Max file locks|100|200"
	"RLIMIT_SIGPENDING|Max pending signals|100|200"
	"RLIMIT_MSGQUEUE|Max msgqueue size|8192|16384"
	"RLIMIT_NICE|Max nice priority|0|0"
	"RLIMIT_RTPRIO|Max realtime priority|0|0"
	"RLIMIT_RTTIME|Max realtime timeout|1000000|2000000"
)

@test "rlimits: every RLIMIT_* is applied, soft and hard" {
	local r type row soft hard json=
	for r in "${RLIMITS[@]}"; do
		IFS='|' read -r type row soft hard <<<"$r"
		json+=${json:+,}"{\"type\": \"$type\", \"soft\": $soft, \"hard\": $hard}"
	done
	update_config ".process.rlimits = [$json]"
	set_cmd 'cat /proc/self/limits'
	ocirun run ct1
	expect_status 0
	local got
	for r in "${RLIMITS[@]}"; do
		IFS='|' read -r type row soft hard <<<"$r"
		got=$(grep "^$row " <<<"$stdout" | sed "s/^$row *//" | awk '{print $1, $2}')
		[ "$got" = "$soft $hard" ] || fail "$type ($row): got '$got', want '$soft $hard'"
	done
}

@test "rlimits: an unknown type is rejected" {
	set_cmd true
	update_config '.process.rlimits += [{"type": "RLIMIT_NOT_A_THING", "soft": 1, "hard": 1}]'
	ocirun run ct1
	expect_failure
	expect_output_contains 'RLIMIT_NOT_A_THING'
	expect_nothing_left ct1
}

@test "rlimits: a hard limit above the caller's fails naming the rlimit" {
	host_has_cap CAP_SYS_RESOURCE && skip "the caller has CAP_SYS_RESOURCE and may raise hard limits"
	set_cmd true
	local over=$(($(ulimit -Hn) + 1000))
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $over, \"hard\": $over}]"
	ocirun run ct1
	expect_failure
	# runc names the rlimit by number only.
	if [ "$OCIRUN_NAME" != runc ]; then
		expect_output_contains 'RLIMIT_NOFILE'
		expect_output_contains "$over"
	fi
	expect_nothing_left ct1
}

@test "oomScoreAdj: a raised score is the process's" {
	local cur want
	cur=$(cat /proc/self/oom_score_adj)
	want=$((cur < 500 ? 500 : cur))
	update_config ".process.oomScoreAdj = $want"
	set_cmd 'cat /proc/self/oom_score_adj'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "$want" ] || fail "oom_score_adj is '$stdout', want $want"
	[ "$(cat /proc/self/oom_score_adj)" = "$cur" ] || fail "the caller's oom_score_adj changed"
}

@test "oomScoreAdj: lowering the score without CAP_SYS_RESOURCE fails naming the value" {
	host_has_cap CAP_SYS_RESOURCE && skip "the caller has CAP_SYS_RESOURCE and may lower the score"
	update_config '.process.oomScoreAdj = -500'
	set_cmd 'cat /proc/self/oom_score_adj'
	ocirun run ct1
	expect_failure
	expect_output_contains 'oom_?score_?adj'
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains '-500'
	expect_nothing_left ct1
}

# ---------------------------------------------------------------------------
# sysctl

@test "sysctl: namespaced sysctls are set in the container only" {
	local host_fwd host_msgmax
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_msgmax=$(cat /proc/sys/kernel/msgmax)
	update_config '.linux.sysctl = {
		"net.ipv4.ip_forward": "'$((1 - host_fwd))'",
		"net/ipv4/conf/lo/accept_local": "1",
		"kernel.msgmax": "4321",
		"fs.mqueue.msg_max": "20",
		"kernel.domainname": "ocirun.example"
	}'
	set_cmd 'for f in net/ipv4/ip_forward net/ipv4/conf/lo/accept_local kernel/msgmax fs/mqueue/msg_max kernel/domainname; do echo "$f=$(cat /proc/sys/$f)"; done'
	ocirun run ct1
	expect_status 0
	grep -qx "net/ipv4/ip_forward=$((1 - host_fwd))" <<<"$stdout" || fail "ip_forward: $stdout"
	grep -qx "net/ipv4/conf/lo/accept_local=1" <<<"$stdout" || fail "accept_local: $stdout"
	grep -qx "kernel/msgmax=4321" <<<"$stdout" || fail "msgmax: $stdout"
	grep -qx "fs/mqueue/msg_max=20" <<<"$stdout" || fail "mqueue msg_max: $stdout"
	grep -qx "kernel/domainname=ocirun.example" <<<"$stdout" || fail "domainname: $stdout"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ] || fail "the host's ip_forward changed"
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ] || fail "the host's msgmax changed"
}

@test "sysctl: applied after createRuntime hooks, with dots inside a name" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not take \"/\" in sysctl names"
	# The hook creates interfaces named with a dot, as a VLAN would be; the
	# sysctl that names one is written after it, in "/" form and in the
	# dotted form with "/" for the dot.
	local hook
	hook=$(jq -n '{path: "/bin/sh", env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
		args: ["sh", "-c", "nsenter -t \"$(jq -r .pid)\" -n ip link add a.1 type veth peer name b.1"]}')
	update_config ".hooks.createRuntime = [$hook] | .linux.sysctl = {
		\"net/ipv4/conf/a.1/forwarding\": \"1\",
		\"net.ipv4.conf.b/1.accept_local\": \"1\"
	}"
	set_cmd 'cat /proc/sys/net/ipv4/conf/a.1/forwarding /proc/sys/net/ipv4/conf/b.1/accept_local | tr "\n" " "'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "1 1 " ] || fail "sysctls of a.1 and b.1: $stdout"
}

@test "sysctl: user.* sysctls are set in the container's own user namespace" {
	local host_userns host_ipcns
	host_userns=$(cat /proc/sys/user/max_user_namespaces)
	host_ipcns=$(cat /proc/sys/user/max_ipc_namespaces)
	add_userns
	update_config '.linux.sysctl = {"user.max_user_namespaces": "7", "user/max_ipc_namespaces": "3"}'
	set_cmd 'cat /proc/sys/user/max_user_namespaces /proc/sys/user/max_ipc_namespaces | tr "\n" " "'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "7 3 " ] || fail "user.* sysctls inside: $stdout"
	[ "$(cat /proc/sys/user/max_user_namespaces)" = "$host_userns" ] || fail "the host's max_user_namespaces changed"
	[ "$(cat /proc/sys/user/max_ipc_namespaces)" = "$host_ipcns" ] || fail "the host's max_ipc_namespaces changed"
}

@test "sysctl: user.* without a user namespace is rejected" {
	set_cmd true
	update_config '.linux.sysctl = {"user.max_user_namespaces": "7"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'user\.max_user_namespaces.*user namespace'
	expect_nothing_left ct1
}

@test "sysctl: user.* in the host's user namespace joined by path is rejected" {
	set_cmd true
	local host_userns
	host_userns=$(cat /proc/sys/user/max_user_namespaces)
	update_config '.linux.namespaces += [{"type": "user", "path": "/proc/'$$'/ns/user"}]
		| .linux.sysctl = {"user.max_user_namespaces": "7"}'
	ocirun run ct1
	expect_failure
	expect_output_contains "user\.max_user_namespaces.*runtime's own"
	[ "$(cat /proc/sys/user/max_user_namespaces)" = "$host_userns" ] || fail "the host's max_user_namespaces changed"
	expect_nothing_left ct1
}

@test "sysctl: a sysctl that is not namespaced is rejected" {
	set_cmd true
	update_config '.linux.sysctl = {"kernel.panic": "10"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'kernel\.panic'
	expect_nothing_left ct1
}

@test "sysctl: net.* without a network namespace is rejected" {
	set_cmd true
	update_config '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'net\.ipv4\.ip_forward'
	expect_nothing_left ct1
}

@test "sysctl: IPC sysctls without an IPC namespace are rejected" {
	set_cmd true
	update_config '.linux.namespaces |= map(select(.type != "ipc")) | .linux.sysctl = {"kernel.shmmax": "65536"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'kernel\.shmmax'
	expect_nothing_left ct1
}

@test "sysctl: net.* in the host's network namespace joined by path is rejected" {
	set_cmd true
	local host_fwd
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/'$$'/ns/net" else . end)
		| .linux.sysctl = {"net.ipv4.ip_forward": "'$((1 - host_fwd))'"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'net\.ipv4\.ip_forward'
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ] || fail "the host's ip_forward changed"
	expect_nothing_left ct1
}

@test "sysctl: net.* in a network namespace joined by path is set there" {
	local host_fwd
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	ocirun run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	new_bundle "$BATS_TEST_TMPDIR/b2"
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/'"$pid"'/ns/net" else . end)
		| .linux.sysctl = {"net.ipv4.ip_forward": "'$((1 - host_fwd))'"}' "$BATS_TEST_TMPDIR/b2"
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward' "$BATS_TEST_TMPDIR/b2"
	ocirun run --bundle "$BATS_TEST_TMPDIR/b2" ct2
	expect_status 0
	[ "$stdout" = $((1 - host_fwd)) ] || fail "ip_forward in the joined namespace: $stdout"
	[ "$(nsenter -t "$pid" -n cat /proc/sys/net/ipv4/ip_forward)" = $((1 - host_fwd)) ] || fail "not set in the joined namespace"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ] || fail "the host's ip_forward changed"
}

# ---------------------------------------------------------------------------
# personality, scheduler, ioPriority

@test "personality LINUX32 makes uname report a 32-bit machine" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_cmd 'uname -m'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = i686 ] || fail "uname -m: $stdout"

	update_config '.linux.personality = {"domain": "LINUX"}'
	ocirun run ct2
	expect_status 0
	[ "$stdout" = x86_64 ] || fail "uname -m: $stdout"
}

@test "scheduler: policy and nice are the process's" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	# Fields 19 and 41 of /proc/PID/stat: nice and policy (SCHED_BATCH=3).
	set_cmd 'cut -d" " -f19,41 /proc/self/stat'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "7 3" ] || fail "nice and policy: '$stdout', want '7 3'"
}

@test "scheduler: an unknown policy is rejected" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	set_cmd true
	update_config '.process.scheduler = {"policy": "SCHED_NOT_A_THING"}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'SCHED_NOT_A_THING'
	expect_nothing_left ct1
}

# ---------------------------------------------------------------------------
# CPU affinity and memory policy

@test "cpu affinity: a runtime pinned by taskset does not pin the container" {
	command -v taskset >/dev/null || skip "needs taskset (util-linux)"
	local all
	all=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/1/status)
	[ "$all" != 0 ] || skip "one CPU only"
	local real=$OCIRUN
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-on-cpu0
	printf '#!/bin/bash\nexec taskset -c 0 %q "$@"\n' "$real" >"$OCIRUN"
	chmod +x "$OCIRUN"
	set_cmd 'grep Cpus_allowed_list /proc/self/status'
	ocirun run ct1
	expect_status 0
	[ "$(awk '{print $2}' <<<"$stdout")" = "$all" ] || fail "the init is pinned: $stdout (all: $all)"
	update_config '.process.args = ["sleep", "1000"]'
	ocirun run -d ct2
	expect_status 0
	ocirun exec ct2 grep Cpus_allowed_list /proc/self/status
	expect_status 0
	[ "$(awk '{print $2}' <<<"$stdout")" = "$all" ] || fail "the exec is pinned: $stdout (all: $all)"
}

@test "cpu affinity: exec applies execCPUAffinity initial and final" {
	[ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs"
	update_config '.process.args = ["sleep", "1000"]'
	ocirun run -d ct1
	expect_status 0
	jq -n '{args: ["grep", "Cpus_allowed_list", "/proc/self/status"], cwd: "/", user: {uid: 0, gid: 0},
		execCPUAffinity: {initial: "1", final: "0"}}' >"$BATS_TEST_TMPDIR/final.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/final.json" ct1
	expect_status 0
	[ "$(awk '{print $2}' <<<"$stdout")" = 0 ] || fail "final affinity: $stdout"
	# Without final, the runtime leaves the affinity after the cgroup join
	# to the kernel (runtime-spec): since Linux 6.2 the kernel keeps the one
	# requested (initial); before, joining a cpuset reset it to the
	# cgroup's CPUs, which a plain exec gets.
	local want=1 major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -lt 6 ] || { [ "$major" = 6 ] && [ "$minor" -lt 2 ]; }; then
		ocirun exec ct1 grep Cpus_allowed_list /proc/self/status
		expect_status 0
		want=$(awk '{print $2}' <<<"$stdout")
	fi
	jq '.execCPUAffinity = {initial: "1"}' "$BATS_TEST_TMPDIR/final.json" >"$BATS_TEST_TMPDIR/initial.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/initial.json" ct1
	expect_status 0
	[ "$(awk '{print $2}' <<<"$stdout")" = "$want" ] || fail "affinity after initial only: $stdout (want $want on $(uname -r))"
	jq '.execCPUAffinity = {initial: "0-x"}' "$BATS_TEST_TMPDIR/final.json" >"$BATS_TEST_TMPDIR/bad.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/bad.json" ct1
	expect_failure
	expect_output_contains 'process\.execCPUAffinity\.initial: "0-x" is not a list'
}

@test "memoryPolicy: bind to node 0 is the policy of the init and of execs" {
	[ -d /sys/devices/system/node/node0 ] || skip "no NUMA node 0"
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	set_cmd 'grep -c " bind:0 " /proc/self/numa_maps; sleep 1000'
	ocirun run -d ct1
	expect_status 0
	ocirun exec ct1 sh -c 'grep " bind:0 " /proc/self/numa_maps | wc -l'
	expect_status 0
	[ "$stdout" -gt 0 ] || fail "exec: no mapping bound to node 0: $stdout"
	[ "$(container_output 1 | head -1)" -gt 0 ] || fail "init: no mapping bound to node 0: $(container_output 1)"
}

@test "memoryPolicy: a node that does not exist fails naming the field" {
	local missing
	missing=$(( $(ls -d /sys/devices/system/node/node* | sed 's/.*node//' | sort -n | tail -1) + 1 ))
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "'$missing'"}'
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'linux\.memoryPolicy: set_mempolicy: Invalid argument'
	expect_nothing_left ct1
}

@test "ioPriority: class and priority are the process's" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	set_cmd 'ionice -p $$'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "best-effort: prio 6" ] || fail "ionice: '$stdout'"

	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	ocirun run ct2
	expect_status 0
	[ "$stdout" = "idle" ] || fail "ionice: '$stdout'"
}

# ---------------------------------------------------------------------------
# LSMs this host does not have

@test "apparmorProfile on a host without AppArmor is an error" {
	set_cmd true
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
	update_config '.process.apparmorProfile = "ocirun-test-profile"'
	ocirun run ct1
	expect_failure
	expect_output_contains 'apparmor'
	expect_nothing_left ct1

	update_config 'del(.process.apparmorProfile)'
	set_args "$BUNDLE" "${LONG_RUNNING[@]}"
	ocirun run -d ct2
	expect_status 0
	ocirun exec --apparmor ocirun-test-profile ct2 true
	# runc exec exits 255 on any error.
	[ "$OCIRUN_NAME" = runc ] && [ "$status" -ne 0 ] || expect_failure
	expect_output_contains 'apparmor'
}

@test "selinuxLabel and mountLabel on a host without SELinux are errors" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
	set_cmd true
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	ocirun run ct1
	expect_failure
	expect_output_contains 'selinux'
	expect_nothing_left ct1

	update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	ocirun run ct2
	expect_failure
	# runc tries the context= mount option, which the kernel refuses.
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'selinux'
	expect_nothing_left ct2
}

# ---------------------------------------------------------------------------
# seccomp

@test "seccomp: a denied syscall fails with the configured errno" {
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [
			{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
			{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
		]
	}'
	set_cmd "$status_cmd; mkdir /tmp/denied; rmdir /tmp; echo done"
	ocirun run ct1
	expect_status 0
	expect_field Seccomp 2
	expect_field Seccomp_filters 1
	expect_output_contains "mkdir: can't create directory '/tmp/denied': Operation not permitted"
	expect_output_contains "rmdir: '/tmp': Function not implemented"
	grep -qx done <<<"$stdout" || fail "the shell did not go on: $output"
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ] || fail "mkdir was not denied"

	# Processes started by exec get the same filter.
	set_args "$BUNDLE" "${LONG_RUNNING[@]}"
	ocirun run -d ct2
	expect_status 0
	ocirun exec ct2 sh -c "$status_cmd; mkdir /tmp/denied-exec"
	expect_status 1
	expect_field Seccomp 2
	expect_output_contains "Operation not permitted"
	[ ! -e "$BUNDLE/rootfs/tmp/denied-exec" ] || fail "mkdir was not denied in exec"
}

@test "seccomp: without noNewPrivileges the filter is still loaded" {
	update_config '.process.noNewPrivileges = false | .linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
	}'
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd "$status_cmd; id -u; mkdir /tmp/denied"
	ocirun run ct1
	expect_status 1
	expect_field NoNewPrivs 0
	expect_field Seccomp 2
	grep -qx 1000 <<<"$stdout" || fail "uid: $stdout"
	expect_output_contains 'Operation not permitted'
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ] || fail "mkdir was not denied"
}

@test "seccomp: the filter is loaded after the runtime's own setup" {
	# Everything the runtime does to set up the process is denied here; the
	# container only starts if the filter comes last, right before execve.
	update_config '.process.noNewPrivileges = true | .process.user = {"uid": 1000, "gid": 1000} | .linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["capset", "setuid", "setgid", "setresuid", "setresgid", "setgroups",
			"chdir", "fchdir", "prctl", "setrlimit", "prlimit64", "keyctl", "umask", "personality",
			"sched_setattr", "ioprio_set", "mount", "pivot_root", "sethostname", "setsid"],
			"action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
	}'
	set_cmd "$status_cmd; id -u; cd /tmp || echo cd-denied"
	ocirun run ct1
	expect_status 0
	expect_field Seccomp 2
	grep -qx 1000 <<<"$stdout" || fail "uid: $stdout"
	grep -qx cd-denied <<<"$stdout" || fail "chdir was not denied in the process: $output"
}

@test "seccomp: a Docker/podman-style default profile" {
	local profile
	profile=$(cat "$REPO/libcontainer/seccomp/testdata/default-profile.json")
	update_config ".linux.seccomp = $profile"
	# sethostname is not in the profile (defaultErrnoRet 38); swapoff is
	# denied explicitly with EPERM; everyday syscalls work.
	set_cmd "$status_cmd; mkdir /tmp/d && ls -d /tmp/d && rmdir /tmp/d && echo fs-ok; hostname x; swapoff /x"
	ocirun run ct1
	expect_field Seccomp 2
	grep -qx fs-ok <<<"$stdout" || fail "ordinary syscalls failed: $output"
	expect_output_contains 'sethostname: Function not implemented'
	expect_output_contains "swapoff.*Operation not permitted"
}

@test "seccomp: SCMP_ACT_NOTIFY hands the notify fd and the state to the listener" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	start_seccomp_agent
	local sock=$SOCK statefile=$AGENT_STATE
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$sock"'",
		"listenerMetadata": "ocirun-test-metadata",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
	}'
	set_cmd 'mkdir /tmp/notified; echo "rc=$?"'
	ocirun run ct1
	expect_status 0
	# ENOMEDIUM is the agent's answer: no real mkdir gives it.
	expect_output_contains 'No medium found'
	grep -qx 'rc=1' <<<"$stdout" || fail "mkdir did not fail: $output"
	[ ! -e "$BUNDLE/rootfs/tmp/notified" ] || fail "mkdir ran though the agent refused it"
	[ -s "$statefile" ] || fail "the agent got no state"
	local st
	st=$(cat "$statefile")
	jq -e '.ociVersion | startswith("1.")' <<<"$st" >/dev/null || fail "ociVersion: $st"
	jq -e '.fds == ["seccompFd"]' <<<"$st" >/dev/null || fail "fds: $st"
	jq -e '.metadata == "ocirun-test-metadata"' <<<"$st" >/dev/null || fail "metadata: $st"
	jq -e '.pid > 0' <<<"$st" >/dev/null || fail "pid: $st"
	jq -e '.state.id == "ct1"' <<<"$st" >/dev/null || fail "state.id: $st"
	jq -e --arg b "$BUNDLE" '.state.bundle == $b' <<<"$st" >/dev/null || fail "state.bundle: $st"
	jq -e '.state.pid == .pid' <<<"$st" >/dev/null || fail "state.pid: $st"
}

@test "seccomp: SCMP_ACT_NOTIFY reaches the listener from an exec'd process too" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	# One connection for the container's init, one for the exec'd process.
	start_seccomp_agent --conns 2
	local sock=$SOCK statefile=$AGENT_STATE
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$sock"'",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
	}'
	ocirun run -d ct1
	expect_status 0
	local init
	init=$(state_field ct1 pid)
	ocirun exec ct1 sh -c 'mkdir /tmp/notified; echo "rc=$?"'
	expect_status 0
	expect_output_contains 'No medium found'
	grep -qx 'rc=1' <<<"$stdout" || fail "mkdir did not fail: $output"
	[ ! -e "$BUNDLE/rootfs/tmp/notified" ] || fail "mkdir ran though the agent refused it"
	# The last state is the exec'd process's.
	jq -e --argjson init "$init" '.pid > 0 and .pid != $init and .state.id == "ct1"' "$statefile" >/dev/null ||
		fail "state of the exec'd process: $(cat "$statefile")"
}

@test "seccomp: SCMP_ACT_NOTIFY without a listenerPath is rejected" {
	set_cmd true
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
	}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'listenerPath'
	expect_nothing_left ct1
}

@test "seccomp: an unknown action is rejected" {
	set_cmd true
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOT_A_THING"}]
	}'
	ocirun run ct1
	expect_failure
	expect_output_contains 'SCMP_ACT_NOT_A_THING'
	expect_nothing_left ct1
}

# ---------------------------------------------------------------------------
# maskedPaths and readonlyPaths

@test "maskedPaths: files become the null device, directories an empty read-only tmpfs" {
	echo secret >"$BUNDLE/rootfs/secret"
	mkdir "$BUNDLE/rootfs/secretdir"
	echo secret >"$BUNDLE/rootfs/secretdir/file"
	update_config '.linux.maskedPaths += ["/secret", "/secretdir", "/does/not/exist"]'
	set_cmd 'stat -c "%n %F %t:%T" /secret /proc/kcore; echo "content=[$(cat /secret)]";
		echo "dir=[$(ls -A /secretdir)]"; stat -f -c "%n %T" /secretdir;
		touch /secretdir/x 2>&1; ls /proc/scsi 2>/dev/null | wc -l'
	ocirun run ct1
	expect_status 0
	grep -qx '/secret character special file 1:3' <<<"$stdout" || fail "/secret is not the null device: $output"
	if [ -e /proc/kcore ]; then
		grep -qx '/proc/kcore character special file 1:3' <<<"$stdout" || fail "/proc/kcore is not masked: $output"
	fi
	grep -qx 'content=\[\]' <<<"$stdout" || fail "masked file readable: $output"
	grep -qx 'dir=\[\]' <<<"$stdout" || fail "masked dir not empty: $output"
	grep -qx '/secretdir tmpfs' <<<"$stdout" || fail "masked dir is not a tmpfs: $output"
	expect_output_contains "touch: /secretdir/x: Read-only file system"
	[ "$(cat "$BUNDLE/rootfs/secret")" = secret ] || fail "the masked file itself changed"
}

@test "maskedPaths: 50 masked directories share one empty read-only tmpfs" {
	local i masked=()
	for i in $(seq 1 50); do
		mkdir -p "$BUNDLE/rootfs/cpus/cpu$i"
		echo secret >"$BUNDLE/rootfs/cpus/cpu$i/file"
		masked+=("/cpus/cpu$i")
	done
	update_config ".linux.maskedPaths += $(printf '%s\n' "${masked[@]}" | jq -R . | jq -s .)"
	# Per masked directory: its entries, whether a file can be made in it,
	# its filesystem; then the distinct superblocks (major:minor) of every
	# tmpfs mounted on a masked directory, /proc's ones included.
	set_cmd 'for d in /cpus/*; do
			echo "$d [$(ls -A $d)] $(touch $d/x 2>/dev/null && echo writable || echo ro) $(stat -f -c %T $d)"
		done
		awk '\''$5 ~ /^\/cpus\// || $5 == "/proc/acpi" || $5 == "/proc/scsi" || $5 == "/sys/firmware" { for (i = 7; $i != "-"; i++); if ($(i+1) == "tmpfs") print "sb", $3 }'\'' /proc/self/mountinfo | sort -u'
	ocirun run ct1
	expect_status 0
	for i in $(seq 1 50); do
		grep -qx "/cpus/cpu$i \[\] ro tmpfs" <<<"$stdout" || fail "/cpus/cpu$i is not an empty read-only tmpfs: $(grep "cpu$i " <<<"$stdout")"
	done
	[ "$(grep -c '^sb ' <<<"$stdout")" = 1 ] || fail "masked directories are on more than one tmpfs: $(grep '^sb ' <<<"$stdout")"
	[ "$(cat "$BUNDLE/rootfs/cpus/cpu1/file")" = secret ] || fail "a masked directory's content changed"
}

@test "readonlyPaths: the path is read-only, the rest is not" {
	mkdir "$BUNDLE/rootfs/rodir"
	echo keep >"$BUNDLE/rootfs/rodir/file"
	update_config '.linux.readonlyPaths += ["/rodir", "/does/not/exist"]'
	set_cmd 'cat /rodir/file; touch /rodir/new 2>&1; echo x >/rodir/file 2>&1;
		echo 1 >/proc/sys/kernel/ns_last_pid 2>&1; touch /tmp/rw && echo rw-ok'
	ocirun run ct1
	expect_status 0
	grep -qx keep <<<"$stdout" || fail "read-only file not readable: $output"
	expect_output_contains "touch: /rodir/new: Read-only file system"
	expect_output_contains "/rodir/file: Read-only file system"
	expect_output_contains "ns_last_pid: Read-only file system"
	grep -qx rw-ok <<<"$stdout" || fail "the rest of the rootfs is not writable: $output"
	[ "$(cat "$BUNDLE/rootfs/rodir/file")" = keep ] || fail "read-only file changed"
	[ ! -e "$BUNDLE/rootfs/rodir/new" ] || fail "file created in a read-only path"
}

@test "maskedPaths and readonlyPaths do not follow symlinks out of the rootfs" {
	local canary=$BATS_TEST_TMPDIR/canary canarydir=$BATS_TEST_TMPDIR/canarydir
	echo host-secret >"$canary"
	mkdir "$canarydir"
	echo host-secret >"$canarydir/file"
	ln -s "$canary" "$BUNDLE/rootfs/masklink"
	ln -s "../../../../../../../../$canarydir" "$BUNDLE/rootfs/rolink"
	update_config '.linux.maskedPaths += ["/masklink"] | .linux.readonlyPaths += ["/rolink"]'
	set_cmd 'cat /masklink 2>&1; cat /rolink/file 2>&1; echo end'
	ocirun run ct1
	expect_status 0
	! grep -q host-secret <<<"$output" || fail "host file visible through a rootfs symlink: $output"
	[ "$(cat "$canary")" = host-secret ] || fail "host canary changed"
	[ "$(cat "$canarydir/file")" = host-secret ] || fail "host canary dir changed"
	! grep -qF "$BATS_TEST_TMPDIR/canary" /proc/self/mountinfo || fail "a mount landed on the host canary"
	[ -L "$BUNDLE/rootfs/masklink" ] || fail "the symlink was replaced"
}

# ---------------------------------------------------------------------------
# Devices

@test "devices: linux.devices are created with type, numbers, mode and owner" {
	update_config '.linux.devices = [
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 1001},
		{"path": "/dev/sub/myzero", "type": "u", "major": 1, "minor": 5, "fileMode": 384},
		{"path": "/dev/myfifo", "type": "p", "fileMode": 420, "uid": 2, "gid": 3},
		{"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 432}
	] | .linux.resources.devices += [
		{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
		{"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
		{"allow": true, "type": "b", "major": 7, "minor": 200, "access": "rwm"}
	]'
	set_cmd 'stat -c "%n|%F|%t:%T|%a|%u:%g" /dev/mynull /dev/sub/myzero /dev/myfifo /dev/myblk'
	ocirun run ct1
	expect_status 0
	grep -qx '/dev/myblk|block special file|7:c8|660|0:0' <<<"$stdout" || fail "/dev/myblk: $stdout"
	grep -qx '/dev/mynull|character special file|1:3|640|1000:1001' <<<"$stdout" || fail "/dev/mynull: $stdout"
	grep -qx '/dev/sub/myzero|character special file|1:5|600|0:0' <<<"$stdout" || fail "/dev/sub/myzero: $stdout"
	grep -qx '/dev/myfifo|fifo|0:0|644|2:3' <<<"$stdout" || fail "/dev/myfifo: $stdout"
}

@test "devices: the default devices exist and work" {
	set_cmd 'stat -c "%n|%F|%t:%T|%a" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty;
		head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo null-ok'
	ocirun run ct1
	expect_status 0
	local d
	for d in 'null|1:3' 'zero|1:5' 'full|1:7' 'random|1:8' 'urandom|1:9' 'tty|5:0'; do
		grep -qx "/dev/${d%%|*}|character special file|${d#*|}|666" <<<"$stdout" || fail "/dev/${d%%|*}: $stdout"
	done
	grep -qx 4 <<<"$stdout" || fail "/dev/zero unreadable: $stdout"
	grep -qx null-ok <<<"$stdout" || fail "/dev/null unwritable: $stdout"
}
