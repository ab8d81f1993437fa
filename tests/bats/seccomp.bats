#!/usr/bin/env bats
# Seccomp as runc applies it: syscalls newer than any the profile names get
# ENOSYS (so a newer libc falls back to an older call), SCMP_ACT_NOTIFY
# works even on the syscalls the runtime itself makes while it starts the
# process, and needs a listenerPath.

load helpers

setup_file() {
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

@test "seccomp: a syscall newer than any the profile names gets ENOSYS, a named-era one the default errno" {
	[ "$(uname -m)" = x86_64 ] || skip "syscall numbers are x86_64's"
	command -v gcc >/dev/null || skip "needs gcc"
	gcc -static -O -o "$BUNDLE/rootfs/bin/rawsyscall" "$REPO/tests/cmd/rawsyscall/rawsyscall.c"
	local profile
	profile=$(jq '.defaultErrnoRet = 1' "$REPO/libcontainer/seccomp/testdata/default-profile.json")
	update_config ".linux.seccomp = $profile"
	# 1000: no such syscall; 170: sethostname, older than the newest
	# syscall the profile names.
	set_cmd 'rawsyscall 1000 1 2 3; rawsyscall 170 0 0'
	ocirun run ct1
	expect_status 0
	[ "$output" = $'errno 38\nerrno 1' ] || fail "want ENOSYS then EPERM: $output"
}

# notify_on NNP NAMES: SCMP_ACT_NOTIFY on the syscalls NAMES (a JSON list
# body), with an agent that lets them continue; the process echoes.
notify_on() {
	start_seccomp_agent --errno 0
	update_config '.process.noNewPrivileges = '"$1"' | .linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$SOCK"'",
		"syscalls": [{"names": ['"$2"'], "action": "SCMP_ACT_NOTIFY"}]
	}'
	set_args "$BUNDLE" echo written
	ocirun run ct1
}

@test "seccomp: SCMP_ACT_NOTIFY on the syscalls the runtime makes around execve" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	local nnp
	for nnp in true false; do
		notify_on $nnp '"read", "close", "fcntl", "openat", "execve"'
		expect_status 0
		[ "$output" = written ] || fail "noNewPrivileges $nnp: output: $output"
		[ -s "$BATS_TEST_TMPDIR/agent.state" ] || fail "the agent got no state"
		kill "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=
		rm -f "$SOCK" "$BATS_TEST_TMPDIR/agent.state"
	done
}

@test "seccomp: SCMP_ACT_NOTIFY on write with a listener (refused by ocirun, see README)" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not support it"
	notify_on true '"write"'
	if [ "$OCIRUN_NAME" = runc ]; then
		expect_status 0
		[ "$output" = written ] || fail "output: $output"
		return
	fi
	# The failure of the process's execve is reported with write(2) after
	# the filter is loaded: ocirun refuses the profile at create.
	expect_failure
	expect_output_contains 'SCMP_ACT_NOTIFY cannot be used for "?write'
	expect_nothing_left ct1
}

@test "seccomp: SCMP_ACT_NOTIFY with an empty or missing listenerPath fails" {
	update_config '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
	}'
	set_args "$BUNDLE" true
	ocirun run ct1
	expect_failure
	expect_nothing_left ct1
	update_config '.linux.seccomp.listenerPath = "/no-such-listener.sock"'
	ocirun run ct2
	expect_failure
	expect_nothing_left ct2
}
