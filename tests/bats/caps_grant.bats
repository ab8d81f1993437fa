#!/usr/bin/env bats
# Capabilities the runtime cannot grant. The runtime-spec (config.md,
# process.capabilities): a value that "cannot be granted otherwise MUST be
# logged as a warning by the runtime. Runtimes SHOULD NOT fail if the
# container configuration requests capabilities that cannot be granted".
# A process never holds a capability outside its bounding set, and neither
# does anything it starts, so here the runtime itself runs with
# CAP_SYS_TIME removed from its bounding set (setpriv) and the container asks
# for it. That works on any host; a host that already lacks some capability
# (CAP_SYS_RESOURCE on some build machines) only adds to the list.

load helpers

# Its number, for the masks below.
SYS_TIME=25

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "runc fails with EPERM on capabilities outside its bounding set"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	setup_bundle
	# Every call, including teardown's delete, goes through the narrowed
	# runtime; exec makes it the same program, so runtime_pids still sees it.
	REAL_OCIRUN=$OCIRUN
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-without-sys-time
	printf '#!/bin/bash\nexec setpriv --bounding-set -sys_time %q "$@"\n' "$REAL_OCIRUN" >"$OCIRUN"
	chmod +x "$OCIRUN"
}

teardown() {
	teardown_containers
}

CAP_NAMES=(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID
	CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE
	CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK
	CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE
	CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE
	CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE
	CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG
	CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF
	CAP_CHECKPOINT_RESTORE)

# status_field NAME: a "Name:\tvalue" line of a /proc/PID/status dump in
# $stdout.
status_field() {
	awk -F':[ \t]*' -v k="$1" '$1 == k {print $2}' <<<"$stdout"
}

# expect_set NAME MASK: the container printed that set as MASK (a number).
expect_set() {
	local got want
	got=$(status_field "$1")
	want=$(printf '%016x' "$2")
	[ "$got" = "$want" ] || fail "$1 is '$got', want '$want'; output: $output"
}

# runtime_bounding: the bounding set the narrowed runtime runs with.
runtime_bounding() {
	local bnd
	bnd=$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)
	echo $((0x$bnd & ~(1 << SYS_TIME)))
}

# cap_list NAME...: a JSON array of the names.
cap_list() {
	printf '%s\n' "$@" | jq -R . | jq -sc .
}

# expect_dropped WHERE NAME: stderr has the runtime's warning for NAME,
# naming WHERE (a JSON path, or the sets in parentheses), and only one
# warning about NAME: each reason is reported once per process.
expect_dropped() {
	grep -qE -- "$1: ([A-Z_]+, )*$2(, [A-Z_]+)*: not in the runtime's own bounding set" <<<"$stderr" ||
		fail "no warning for $2 at $1; stderr: $stderr"
	[ "$(grep -c -- "$2" <<<"$stderr")" = 1 ] || fail "more than one warning about $2: $stderr"
}

status_cmd='grep -E "^Cap" /proc/self/status'

@test "caps: a capability outside the runtime's bounding set is dropped with a warning" {
	local some
	some=$(cap_list CAP_CHOWN CAP_KILL CAP_SYS_TIME)
	update_config ".process.capabilities = {
		\"bounding\": $some, \"permitted\": $some, \"effective\": $some,
		\"inheritable\": $some, \"ambient\": $some}"
	set_cmd "$status_cmd"
	ocirun run ct1
	expect_status 0
	expect_dropped 'process\.capabilities \(bounding, effective, inheritable, permitted, ambient\)' CAP_SYS_TIME
	local want=$((1 << 0 | 1 << 5))
	for set in CapBnd CapPrm CapEff CapInh CapAmb; do
		expect_set "$set" "$want"
	done
}

@test "caps: a config asking for every capability creates and gets all the runtime can grant" {
	# The OCI validation suite's process_capabilities asks for this.
	local last names all=0 i
	last=$(cat /proc/sys/kernel/cap_last_cap)
	[ "$last" -lt "${#CAP_NAMES[@]}" ] || last=$((${#CAP_NAMES[@]} - 1))
	names=$(cap_list "${CAP_NAMES[@]:0:last+1}")
	for ((i = 0; i <= last; i++)); do all=$((all | 1 << i)); done
	update_config ".process.capabilities = {
		\"bounding\": $names, \"permitted\": $names, \"effective\": $names,
		\"inheritable\": $names, \"ambient\": $names}"
	set_cmd "$status_cmd"
	# create/start, the way the validation suite drives it.
	ocirun create ct1
	expect_status 0
	expect_dropped 'process\.capabilities \(bounding, effective, inheritable, permitted, ambient\)' CAP_SYS_TIME
	ocirun start ct1
	expect_status 0
	wait_for_status ct1 stopped
	stdout=$(container_output 1)
	local want=$((all & $(runtime_bounding)))
	for set in CapBnd CapPrm CapEff CapInh CapAmb; do
		expect_set "$set" "$want"
	done
}

@test "caps: exec --process drops a capability it cannot grant, with a warning" {
	ocirun run -d ct1
	expect_status 0
	local some
	some=$(cap_list CAP_KILL CAP_SYS_TIME CAP_CHOWN)
	jq -n --argjson c "$some" '{
		args: ["sh", "-c", "grep -E \"^Cap\" /proc/self/status"], cwd: "/",
		user: {uid: 0, gid: 0},
		capabilities: {bounding: $c, permitted: $c, effective: $c}
	}' >"$BATS_TEST_TMPDIR/process.json"
	ocirun exec --process "$BATS_TEST_TMPDIR/process.json" ct1
	expect_status 0
	expect_dropped 'process\.capabilities \(bounding, effective, permitted\)' CAP_SYS_TIME
	expect_set CapBnd $((1 << 0 | 1 << 5))
	expect_set CapEff $((1 << 0 | 1 << 5))
}

@test "caps: exec --cap drops a capability it cannot grant, with a warning" {
	ocirun run -d ct1
	expect_status 0
	ocirun exec --cap CAP_SYS_TIME --cap CAP_SYS_ADMIN ct1 sh -c "$status_cmd"
	expect_status 0
	expect_dropped '--cap' CAP_SYS_TIME
	local eff
	eff=$(status_field CapEff)
	! (((0x$eff >> SYS_TIME) & 1)) || fail "CAP_SYS_TIME is effective: $stdout"
	(((0x$eff >> 21) & 1)) || fail "CAP_SYS_ADMIN (21) is not effective: $stdout"
}

@test "caps: an unknown capability name is still an error, not a warning" {
	update_config '.process.capabilities.permitted += ["CAP_SYS_TIME", "CAP_SYS_TIMEE"]'
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'process\.capabilities\.permitted\[[0-9]+\]: unknown capability "CAP_SYS_TIMEE"'
	expect_nothing_left ct1
}

@test "caps: exec --cap with an unknown name fails" {
	ocirun run -d ct1
	expect_status 0
	ocirun exec --cap CAP_NOT_A_THING ct1 true
	expect_failure
	expect_output_contains 'unknown capability "CAP_NOT_A_THING"'
}
