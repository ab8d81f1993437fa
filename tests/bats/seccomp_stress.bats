#!/usr/bin/env bats
# A seccomp filter must be loaded as the last step before execve, from a
# single thread: a profile that denies rseq or clone3 breaks any new glibc
# thread (and a Go runtime's threads) started after the load. Each test
# starts the container many times while the CPU is busy, which is when a
# runtime that keeps running threaded code after the load starts threads.

load helpers

STRESS_RUNS=${OCIRUN_STRESS_RUNS:-50}

setup() {
	setup_bundle
	BUSY_PIDS=()
}

teardown() {
	local p
	for p in "${BUSY_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	teardown_containers
}

# busy_cpus: one niced busy loop per CPU, until teardown.
busy_cpus() {
	local i
	for i in $(seq "$(nproc)"); do
		nice -n 19 sh -c 'while :; do :; done' 3>&- &
		BUSY_PIDS+=($!)
	done
}

# profile_without SYSCALL NNP: the default profile, with the default action
# failing with EPERM (as runtime-tools' profile does) and SYSCALL left out.
profile_without() {
	local profile
	profile=$(jq --arg sc "$1" '
		del(.defaultErrnoRet)
		| .syscalls |= map(.names -= [$sc] | select(.names | length > 0))' \
		"$REPO/libcontainer/seccomp/testdata/default-profile.json")
	update_config ".process.noNewPrivileges = $2 | .linux.seccomp = $profile"
}

# run_many: `run` the container STRESS_RUNS times; every run must succeed.
run_many() {
	local i failed=0
	set_args "$BUNDLE" /bin/true
	busy_cpus
	for i in $(seq "$STRESS_RUNS"); do
		ocirun run "ct$i"
		if [ "$status" -ne 0 ]; then
			failed=$((failed + 1))
			echo "run $i failed with status $status: $output" >&2
		fi
		ocirun delete --force "ct$i"
	done
	[ "$failed" -eq 0 ] || fail "$failed of $STRESS_RUNS runs failed"
}

@test "seccomp stress: a profile without rseq, no_new_privs on" {
	profile_without rseq true
	run_many
}

@test "seccomp stress: a profile without rseq, no_new_privs off" {
	profile_without rseq false
	run_many
}

@test "seccomp stress: a profile without clone3" {
	profile_without clone3 false
	run_many
}

@test "seccomp stress: create and start with a profile without rseq" {
	profile_without rseq false
	set_args "$BUNDLE" /bin/true
	busy_cpus
	local i failed=0
	for i in $(seq "$STRESS_RUNS"); do
		ocirun create "ct$i"
		[ "$status" -eq 0 ] && ocirun start "ct$i"
		[ "$status" -eq 0 ] || {
			failed=$((failed + 1))
			echo "create/start $i failed with status $status: $output" >&2
		}
		ocirun delete --force "ct$i"
	done
	[ "$failed" -eq 0 ] || fail "$failed of $STRESS_RUNS create+start failed"
}
