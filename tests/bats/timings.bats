#!/usr/bin/env bats
# --timings (or OCIRUN_TIMINGS=1, for engines): one debug line per command
# with the duration of each phase, from one clock.

load helpers

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "runc has no --timings"
	setup_bundle
}

teardown() {
	teardown_containers
}

# A duration as the timings line writes it.
D='[0-9]+\.[0-9]{3}ms'

@test "timings: run prints its phases on stderr, only when asked" {
	set_cmd 'true'
	ocirun --timings run ct1
	expect_status 0
	grep -qE "^ocirun: debug: timings run: config load=$D prepare=$D cgroup=$D stage 0=$D .*commit=$D handoff=$D total=$D\$" <<<"$stderr" ||
		fail "no timings line: $stderr"
	[ "$(grep -c 'timings' <<<"$stderr")" = 1 ] || fail "more than one timings line"

	ocirun run ct2
	expect_status 0
	! grep -q timings <<<"$stderr" || fail "timings without --timings: $stderr"
}

@test "timings: OCIRUN_TIMINGS=1 writes create, start and exec phases to the JSON log" {
	local log=$BATS_TEST_TMPDIR/log.json
	export OCIRUN_TIMINGS=1
	ocirun --log "$log" --log-format json create ct1
	expect_status 0
	ocirun --log "$log" --log-format json start ct1
	expect_status 0
	ocirun --log "$log" --log-format json exec ct1 true
	expect_status 0
	unset OCIRUN_TIMINGS
	jq -se 'any(.[]; .level == "debug" and (.msg | test("^timings create: config load=.* stage 0=.* commit=.* total=")))' "$log" >/dev/null ||
		fail "no create timings: $(cat "$log")"
	jq -se 'any(.[]; .level == "debug" and (.msg | test("^timings start: handoff=.* total=")))' "$log" >/dev/null ||
		fail "no start timings: $(cat "$log")"
	jq -se 'any(.[]; .level == "debug" and (.msg | test("^timings exec: config load=.* stage 0=.* handoff=.* total=")))' "$log" >/dev/null ||
		fail "no exec timings: $(cat "$log")"
}
