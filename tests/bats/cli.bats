#!/usr/bin/env bats
# The command line as runc users and engines know it: ps options, help,
# debug output.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

@test "ps ID -e -x passes the options to ps and shows only the container's processes" {
	set_cmd 'sleep 1001 & sleep 1002 & echo ready >/tmp/ready; wait'
	ocirun run -d ct1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	local pids
	pids=$(pids_in_ns mnt "$(state_field ct1 pid)")
	ocirun ps ct1 -e -x
	expect_status 0
	# -x (BSD "x") adds the STAT column to -e's PID TTY TIME CMD.
	head -1 <<<"$stdout" | grep -qE '^ *PID +TTY +STAT +TIME +COMMAND' || fail "ps did not get -e -x: $stdout"
	[ "$(($(wc -l <<<"$stdout") - 1))" -eq 3 ] || fail "expected 3 processes: $stdout"
	grep -q 'sleep 1001' <<<"$stdout" && grep -q 'sleep 1002' <<<"$stdout" || fail "sleepers missing: $stdout"
	local line
	while read -r line; do
		grep -qxF "$(awk '{print $1}' <<<"$line")" <<<"$pids" || fail "not the container's: $line"
	done < <(tail -n +2 <<<"$stdout")
	# Options that change the PID column's place still filter by pid.
	ocirun ps ct1 -o comm,pid
	expect_status 0
	[ "$(grep -c '^sleep' <<<"$stdout")" -eq 2 ] || fail "ps -o comm,pid: $stdout"
	# Flags before the id are ocirun's own.
	ocirun ps --format json ct1
	expect_status 0
	[ "$(jq length <<<"$stdout")" -eq 3 ] || fail "ps --format json: $stdout"
}

# debug_run ARGS...: `run` of a short container with global ARGS.
debug_run() {
	set_args "$BUNDLE" echo hello
	ocirun "$@" run ct1
	expect_status 0
	grep -qx hello <<<"$stdout" || fail "the container's output is missing: $output"
}

@test "--debug prints debug lines on stderr" {
	debug_run --debug
	grep -qi 'debug' <<<"$stderr" || fail "no debug line on stderr: $stderr"
}

@test "--debug with --log writes debug lines to the log, in text and JSON" {
	local log=$BATS_TEST_TMPDIR/log.text
	debug_run --debug --log "$log"
	! grep -qi debug <<<"$stderr" || fail "debug lines on stderr with --log: $stderr"
	grep -q 'level=debug msg=' "$log" || fail "text log: $(cat "$log")"
	# Without --debug, no debug line.
	: >"$log"
	debug_run --log "$log" --log-format text
	! grep -q 'level=debug' "$log" || fail "debug lines without --debug: $(cat "$log")"

	log=$BATS_TEST_TMPDIR/log.json
	debug_run --debug --log "$log" --log-format json
	! grep -qi debug <<<"$stderr" || fail "debug lines on stderr with --log: $stderr"
	jq -e . "$log" >/dev/null || fail "log is not JSON lines: $(cat "$log")"
	jq -es 'any(.level == "debug" and (.msg | length) > 0)' "$log" >/dev/null || fail "no debug line: $(cat "$log")"
}

@test "-h and --help, globally and for each command, print usage on stdout" {
	local h cmd
	for h in -h --help help; do
		ocirun $h
		expect_status 0
		grep -q '^USAGE:' <<<"$stdout" || fail "$h: no usage: $output"
		for cmd in create start run exec kill delete state list ps; do
			grep -qE "^ +$cmd\b" <<<"$stdout" || fail "$h: command $cmd not listed: $stdout"
		done
	done
	for cmd in create start run state kill delete list spec exec pause resume ps update events features; do
		for h in -h --help; do
			ocirun "$cmd" $h
			expect_status 0
			grep -q '^USAGE:' <<<"$stdout" && grep -qE "\b$cmd\b" <<<"$stdout" || fail "$cmd $h: $output"
		done
		ocirun help "$cmd"
		expect_status 0
		grep -q '^USAGE:' <<<"$stdout" || fail "help $cmd: $output"
	done
	# exec's options are listed, so that users find --env and --cap.
	ocirun exec --help
	grep -q -- '--env' <<<"$stdout" && grep -q -- '--cap' <<<"$stdout" || fail "exec --help: $stdout"
}
