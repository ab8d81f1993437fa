#!/usr/bin/env bats
# Bad input: every rejected create/start/delete exits non-zero, ends its
# stderr with one line that names the cause, and leaves nothing behind.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

# is_runc: the suite is being checked against runc, whose messages for a few
# cases are vaguer than what we require of ocirun.
is_runc() {
	"$OCIRUN" --version 2>/dev/null | grep -q '^runc version'
}

# last_error_line: the last non-empty line of stderr (the one engines show).
last_error_line() {
	grep -v '^[[:space:]]*$' <<<"$stderr" | tail -1
}

# expect_rejected ID REGEX: the last `ocirun` failed cleanly, its last stderr
# line matches REGEX (grep -E, case-insensitive), and nothing is left.
expect_rejected() {
	local id=$1 re=$2 last
	expect_failure
	last=$(last_error_line)
	grep -qiE -- "$re" <<<"$last" || fail "last error line does not match /$re/: $last"
	expect_nothing_left "$id"
}

@test "malformed config.json" {
	printf '{\n  "ociVersion": "1.2.0",\n  "process": { "args": ["sh"], }\n}\n' >"$BUNDLE/config.json"
	ocirun create --bundle "$BUNDLE" ct1
	if is_runc; then
		expect_rejected ct1 'invalid character'
	else
		expect_rejected ct1 'config\.json'
		expect_output_contains 'line [0-9]+|offset [0-9]+'
	fi
}

@test "config.json is not an object" {
	echo '[]' >"$BUNDLE/config.json"
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'cannot unmarshal|config\.json'
}

@test "missing config.json or bundle" {
	rm "$BUNDLE/config.json"
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'config\.json'

	ocirun create --bundle "$BATS_TEST_TMPDIR/no-such-bundle" ct2
	expect_rejected ct2 'no-such-bundle'
}

@test "missing or empty process.args" {
	update_config 'del(.process.args)'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'args'

	update_config '.process.args = []'
	ocirun create --bundle "$BUNDLE" ct2
	expect_rejected ct2 'args'
}

@test "missing process or root" {
	update_config 'del(.process)'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'process'

	new_bundle "$BATS_TEST_TMPDIR/b2"
	update_config 'del(.root)' "$BATS_TEST_TMPDIR/b2"
	ocirun create --bundle "$BATS_TEST_TMPDIR/b2" ct2
	expect_rejected ct2 'root' "$BATS_TEST_TMPDIR/b2"
}

@test "nonexistent rootfs" {
	update_config '.root.path = "no-such-rootfs"'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'no-such-rootfs'
}

@test "unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "bogusns"}]'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'bogusns'
}

@test "duplicate namespace" {
	update_config '.linux.namespaces += [{"type": "ipc"}]'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'duplicat.*ipc|ipc.*duplicat'
}

@test "relative mount destination" {
	! is_runc || skip "runc 1.1 accepts relative mount destinations with a deprecation warning"
	update_config '.mounts += [{"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"}]'
	ocirun create --bundle "$BUNDLE" ct1
	expect_rejected ct1 'relative/dir'
}

@test "linux.intelRdt is refused, and features says it is not supported" {
	[ -d /sys/fs/resctrl ] && skip "this host has resctrl; the test expects a host without"
	update_config '.linux.intelRdt = {"closID": "ocirun-test", "l3CacheSchema": "L3:0=f"}'
	ocirun run ct1
	expect_rejected ct1 'linux\.intelRdt: not supported by ocirun: .*Intel RDT'
	ocirun features
	expect_status 0
	[ "$(jq -c .linux.intelRdt <<<"$stdout")" = '{"enabled":false,"schemata":false,"monitoring":false}' ] ||
		fail "features: intelRdt is $(jq -c .linux.intelRdt <<<"$stdout")"
}

@test "bad container ids" {
	local id
	for id in '../x' 'a/b' '..' '.' "$(printf 'a%.0s' $(seq 1024))"; do
		ocirun create --bundle "$BUNDLE" "$id"
		if is_runc; then
			expect_rejected "$id" 'id|too long'
		else
			expect_rejected "$id" '\bid\b'
		fi
		[ ! -e "$BATS_TEST_TMPDIR/x" ] || fail "id ../x escaped the state directory"
		[ ! -e "$ROOT/a" ] || fail "id a/b made a directory"
	done

	ocirun create --bundle "$BUNDLE" ''
	expect_rejected '' '\bid\b'
}

@test "duplicate id is refused and the first container is untouched" {
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)

	new_bundle "$BATS_TEST_TMPDIR/b2"
	ocirun create --bundle "$BATS_TEST_TMPDIR/b2" ct1
	expect_failure
	grep -qiE 'exists' <<<"$(last_error_line)" || fail "last line: $(last_error_line)"
	[ "$(state_field ct1 pid)" = "$pid" ] || fail "first container's pid changed"
	[ "$(state_field ct1 bundle)" = "$BUNDLE" ] || fail "first container's bundle changed"
	[ -z "$(bundle_pids "$BATS_TEST_TMPDIR/b2")" ] || fail "second create left a process"

	ocirun run --bundle "$BATS_TEST_TMPDIR/b2" ct1
	expect_failure
	[ "$(state_field ct1 status)" = created ]
	ocirun start ct1
	expect_status 0
	[ "$(state_field ct1 status)" = running ]
}

@test "commands on the wrong status fail with one clear line and change nothing" {
	ocirun run --detach ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)

	ocirun start ct1
	expect_failure
	grep -qiE 'running' <<<"$(last_error_line)" || fail "last line: $(last_error_line)"
	ocirun delete ct1
	expect_failure
	grep -qiE 'running|not stopped' <<<"$(last_error_line)" || fail "last line: $(last_error_line)"
	[ "$(state_field ct1 status)" = running ]
	pid_alive "$pid"

	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	ocirun start ct1
	expect_failure
	grep -qiE 'stopped' <<<"$(last_error_line)" || fail "last line: $(last_error_line)"
	ocirun kill ct1 TERM
	expect_failure
	[ "$(state_field ct1 status)" = stopped ]
}

@test "a failing create does not disturb other containers" {
	ocirun run --detach ct-ok
	expect_status 0
	local pid
	pid=$(state_field ct-ok pid)

	new_bundle "$BATS_TEST_TMPDIR/b2"
	update_config '.root.path = "no-such-rootfs"' "$BATS_TEST_TMPDIR/b2"
	ocirun create --bundle "$BATS_TEST_TMPDIR/b2" ct-bad
	expect_failure
	ocirun list -q
	[ "$stdout" = ct-ok ] || fail "list after a failed create: $stdout"
	[ "$(state_field ct-ok status)" = running ]
	pid_alive "$pid"
}

@test "a container whose process fails to start leaves nothing behind" {
	set_args "$BUNDLE" /no/such/program
	ocirun create --bundle "$BUNDLE" ct1
	if [ "$status" -eq 0 ]; then
		# Some runtimes only find out at start.
		ocirun start ct1
		expect_failure
		ocirun delete --force ct1
		expect_status 0
		expect_nothing_left ct1
	else
		expect_rejected ct1 '/no/such/program'
	fi
}

@test "--preserve-fds naming fds that are not open is refused" {
	# fds 3 and 4 are closed for the runtime here (bats keeps some open),
	# and must not be filled with the runtime's own.
	# Into a file, not a pipe: an init that a runtime without this check
	# leaves behind would hold a pipe open, and the test would hang.
	status=0
	timeout 30 "$OCIRUN" --root "$ROOT" create --bundle "$BUNDLE" --preserve-fds 2 ct1 \
		</dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 3>&- 4>&- || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/create.out")
	[ "$status" -ne 0 ] || fail "create succeeded"
	grep -q 'fd 3 is not open' <<<"$output" || fail "error: $output"
	expect_nothing_left ct1
}
