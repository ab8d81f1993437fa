#!/usr/bin/env bats
# The runtime's own threads sleep with a coarse timer slack, so that Go's
# monitor thread wakes less often (package slack); the container's
# processes and the hooks keep the slack the runtime was started with, as
# they would under runc or crun.

load helpers

setup() {
	setup_bundle
	# What this shell's children start with, and so the runtime.
	CALLER_SLACK=$(cat /proc/self/timerslack_ns)
}

teardown() { teardown_containers; }

@test "slack: run, create+start, exec and the hooks get the caller's timer slack" {
	set_cmd 'cat /proc/self/timerslack_ns'
	ocirun run ct1
	expect_status 0
	[ "$output" = "$CALLER_SLACK" ] || fail "run: the container's slack is $output, the caller's $CALLER_SLACK"

	update_config '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "cat /proc/self/timerslack_ns > '"$BATS_TEST_TMPDIR"'/prestart"]}]'
	set_cmd 'cat /proc/self/timerslack_ns > /tmp/init-slack; sleep 1000'
	ocirun create ct2
	expect_status 0
	[ "$(cat "$BATS_TEST_TMPDIR/prestart")" = "$CALLER_SLACK" ] ||
		fail "prestart hook: slack $(cat "$BATS_TEST_TMPDIR/prestart"), the caller's $CALLER_SLACK"
	ocirun start ct2
	expect_status 0
	ocirun exec ct2 sh -c 'until [ -s /tmp/init-slack ]; do sleep 0.1; done; cat /tmp/init-slack'
	expect_status 0
	[ "$output" = "$CALLER_SLACK" ] || fail "create+start: the container's slack is $output, the caller's $CALLER_SLACK"
	ocirun exec ct2 cat /proc/self/timerslack_ns
	expect_status 0
	[ "$output" = "$CALLER_SLACK" ] || fail "exec: the process's slack is $output, the caller's $CALLER_SLACK"
	ocirun delete --force ct2
	expect_status 0
}

@test "slack: the runtime's threads sleep with a slack of 1 ms" {
	[ "$OCIRUN_NAME" = ocirun ] || skip "ocirun's own threads"
	[ "$(uname -m)" = x86_64 ] || skip "the slack is set at the ELF entry, which is amd64 only"
	[ "$CALLER_SLACK" -gt 0 ] && [ "$CALLER_SLACK" -lt 1000000 ] || skip "the caller's slack ($CALLER_SLACK) is left alone"
	set_cmd 'sleep 1000'
	"$OCIRUN" --root "$ROOT" run ct1 </dev/null >/dev/null 2>&1 &
	local cli=$! tid slack n=0
	wait_for_status ct1 running
	for tid in $(ls "/proc/$cli/task"); do
		slack=$(cat "/proc/$tid/timerslack_ns")
		[ "$slack" = 1000000 ] || fail "thread $tid of the runtime ($cli) has a slack of $slack"
		n=$((n + 1))
	done
	[ "$n" -gt 1 ] || fail "the runtime ($cli) has $n threads"
	ocirun kill ct1 KILL
	wait "$cli" || true
}
