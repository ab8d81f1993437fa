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
