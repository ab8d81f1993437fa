#!/usr/bin/env bats
# A seccomp filter must be loaded as the last step before execve, from a
# single thread: a profile that denies rseq or clone3 breaks any new glibc
# thread (and a Go runtime's threads) started after the load. Each test
# starts the container many times while the CPU is busy, and makes the
# runtime's last steps allocate: a runtime that keeps running threaded code
# after the load then starts threads there (see garbage_after_load).

load helpers

# With garbage_after_load a runtime with the flaw fails nearly every run;
# ten are plenty.
STRESS_RUNS=${OCIRUN_STRESS_RUNS:-10}

setup() {
	setup_bundle
	BUSY_PIDS=()
	garbage_after_load
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

# garbage_after_load: the process runs as a uid that the rootfs's
# /etc/passwd does not list, without HOME, and /etc/passwd is large. HOME
# then comes from a scan of the whole file, one allocation per line. An init
# that does this in Go after loading the filter (without no_new_privs the
# filter is loaded before the uid switch) collects garbage there: the
# collector's first cycles start new threads, whose rseq the filter denies
# ("Fatal glibc error: rseq registration failed") or whose clone3 it denies
# ("runtime/cgo: pthread_create failed"). Without this a run crashes that
# way only a few times in a hundred.
garbage_after_load() {
	seq 100000 | awk '{ printf "user%d:x:%d:%d::/home/user%d:/bin/sh\n", $1, 100000 + $1, 100000 + $1, $1 }' \
		>>"$BUNDLE/rootfs/etc/passwd"
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .process.env |= map(select(startswith("HOME=") | not))'
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
	set_args "$BUNDLE" echo started
	busy_cpus
	local i failed=0 create
	for i in $(seq "$STRESS_RUNS"); do
		ocirun create "ct$i"
		create=$OCIRUN_CALLS
		[ "$status" -eq 0 ] && ocirun start "ct$i"
		# start succeeds when the init goes away without a word, which a
		# crash after start does too: only the process's own output shows
		# that it ran.
		if [ "$status" -eq 0 ]; then
			wait_for_status "ct$i" stopped || status=1
			output=$(container_output "$create")
			[ "$output" = started ] || status=1
		fi
		[ "$status" -eq 0 ] || {
			failed=$((failed + 1))
			echo "create/start $i failed with status $status: $output" >&2
		}
		ocirun delete --force "ct$i"
	done
	[ "$failed" -eq 0 ] || fail "$failed of $STRESS_RUNS create+start failed"
}
