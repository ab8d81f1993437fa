#!/usr/bin/env bats
# Starting the process as runc does: exit codes and one-line errors of a
# failed execve, exec's exit codes, the terminal's owner, cwd of a non-root
# user, ambient capabilities from exec --cap.

load helpers


setup() {
	setup_bundle
}

teardown() {
	teardown_containers
	stop_recvtty
}

# bad_executables: in the rootfs, a directory, a file without x, a script
# with a missing interpreter.
bad_executables() {
	mkdir -p "$BUNDLE/rootfs/adir"
	printf 'data\n' >"$BUNDLE/rootfs/noexec"
	chmod 644 "$BUNDLE/rootfs/noexec"
	printf '#!/no/such/interpreter\n' >"$BUNDLE/rootfs/badinterp"
	chmod 755 "$BUNDLE/rootfs/badinterp"
}

@test "process: run of a file that cannot be executed fails with one line naming it" {
	bad_executables
	local what
	for what in /no-such-file /adir /noexec /badinterp; do
		set_args "$BUNDLE" "$what"
		ocirun run ct1
		expect_failure
		[ "$(wc -l <<<"$stderr")" -le 2 ] || fail "$what: more than one line: $stderr"
		grep -q -- "$what" <<<"$(tail -1 <<<"$stderr")" || fail "$what: last line does not name the file: $stderr"
		expect_nothing_left ct1
	done
}

@test "process: exec of a file that cannot be executed fails with one line naming it" {
	bad_executables
	ocirun run -d ct1
	expect_status 0
	local what
	for what in /no-such-file /adir /noexec /badinterp; do
		ocirun exec ct1 "$what"
		# runc reports a bad interpreter from the process itself (1).
		if [ "$what" = /badinterp ]; then expect_failure; else expect_status 255; fi
		[ -n "$stderr" ] || fail "$what: no error message"
		grep -q -- "$what" <<<"$(tail -1 <<<"$stderr")" || fail "$what: last line does not name the file: $stderr"
	done
}

@test "process: exec returns the process's exit code, from 0 to 255" {
	ocirun run -d ct1
	expect_status 0
	local n
	for n in $(seq 0 255); do
		ocirun exec ct1 sh -c "exit $n"
		expect_status "$n"
	done
}

@test "process: the terminal of a non-root user is owned by it and the tty group" {
	[ -x "$RECVTTY" ] || fail "$RECVTTY is missing: run 'make recvtty'"
	start_recvtty
	local sock=$SOCK
	update_config '.process.terminal = true | .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'stat -c "%u %g" $(tty); sleep 1000'
	ocirun run -d --console-socket "$sock" ct1
	expect_status 0
	local deadline=$((SECONDS + 10))
	until grep -qE '^[0-9]+ [0-9]+' "$BATS_TEST_TMPDIR/tty.out" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "no output on the terminal: $(cat "$BATS_TEST_TMPDIR/tty.out")"
		sleep 0.1
	done
	[ "$(grep -oE '^[0-9]+ [0-9]+' "$BATS_TEST_TMPDIR/tty.out")" = "1000 5" ] ||
		fail "pty owner: $(cat "$BATS_TEST_TMPDIR/tty.out")"
}

@test "process: the terminal of exec --tty as a non-root user is owned by it and the tty group" {
	ocirun run -d ct1
	expect_status 0
	# Under script(1), so that the caller has a terminal, as a user at a
	# shell does (runc's foreground exec --tty needs one).
	cat >"$BATS_TEST_TMPDIR/exec-tty.sh" <<-'SH'
		exec "$OCIRUN" --root "$ROOT" exec --tty --user 1000:1000 ct1 sh -c 'stat -c "%u %g" $(tty)'
	SH
	local out
	out=$(OCIRUN=$OCIRUN ROOT=$ROOT timeout "$OCIRUN_TIMEOUT" script -qec "bash $BATS_TEST_TMPDIR/exec-tty.sh" /dev/null </dev/null 2>&1) ||
		fail "exec --tty failed: $out"
	# The terminal may echo a control character ahead of the line.
	[ "$(grep -oE '[0-9]+ [0-9]+' <<<"$out" | tail -n 1)" = "1000 5" ] || fail "pty owner: $out"
}

@test "process: create with a cwd only root can reach, for a non-root user" {
	mkdir -p "$BUNDLE/rootfs/home/u/work"
	chown 1000:1000 "$BUNDLE/rootfs/home/u/work"
	chmod 700 "$BUNDLE/rootfs/home/u"
	chown 0:0 "$BUNDLE/rootfs/home/u"
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.cwd = "/home/u/work"'
	set_args "$BUNDLE" pwd
	ocirun run ct1
	# runc enters the cwd while still root, then changes user: the
	# process starts there although it could not reach it itself.
	expect_status 0
	[ "$output" = /home/u/work ] || fail "cwd: $output"
}

@test "process: exec --user with a cwd only root can reach starts there" {
	mkdir -p "$BUNDLE/rootfs/secret"
	chmod 700 "$BUNDLE/rootfs/secret"
	ocirun run -d ct1
	expect_status 0
	# As runc: the cwd is entered before the switch to the user.
	ocirun exec --user 1000:1000 --cwd /secret ct1 pwd
	expect_status 0
	[ "$output" = /secret ] || fail "cwd: $output"
	ocirun exec --user 1000:1000 --cwd /no-such-dir ct1 pwd
	expect_failure
	expect_output_contains 'no-such-dir'
}

@test "process: exec --cap adds an inheritable capability to the ambient set" {
	runtime_is_runc_before 1.2 && skip "runc before 1.2 does not add exec --cap to the ambient set"
	update_config '.process.capabilities.ambient = ["CAP_CHOWN"] | .process.capabilities.inheritable = ["CAP_CHOWN", "CAP_NET_RAW"] | .process.capabilities.bounding += ["CAP_NET_RAW"] | .process.capabilities.permitted += ["CAP_NET_RAW"]'
	ocirun run -d ct1
	expect_status 0
	ocirun exec --cap CAP_NET_RAW --user 1000:1000 ct1 grep CapAmb /proc/self/status
	expect_status 0
	# CAP_CHOWN is bit 0, CAP_NET_RAW bit 13.
	[ "$(awk '{print $2}' <<<"$output")" = 0000000000002001 ] || fail "ambient: $output"
	# A capability outside the inheritable set stays out of the ambient one.
	ocirun exec --cap CAP_SYS_ADMIN --user 1000:1000 ct1 grep CapAmb /proc/self/status
	expect_status 0
	[ "$(awk '{print $2}' <<<"$output")" = 0000000000000001 ] || fail "ambient: $output"
}
