#!/usr/bin/env bats
# Terminals: terminal=false uses the caller's stdio; terminal=true with
# --console-socket hands a pty master to the socket's listener.

load helpers


setup() {
	[ -x "$RECVTTY" ] || fail "$RECVTTY is missing: run 'make recvtty'"
	setup_bundle
}

teardown() {
	teardown_containers
	stop_recvtty
}

# wait_recvtty: wait for recvtty to see the terminal close; fail on its error.
wait_recvtty() {
	local st=0 deadline=$((SECONDS + 15))
	while kill -0 "$RECV_PID" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "the terminal was never closed" || return 1
		sleep 0.05
	done
	wait "$RECV_PID" || st=$?
	RECV_PID=
	[ "$st" -eq 0 ] || fail "recvtty failed ($st): $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
}

@test "terminal false: the process writes to the caller's stdout and stderr, not a tty" {
	set_cmd 'echo to-stdout; echo to-stderr >&2; [ -t 0 ] || [ -t 1 ] || [ -t 2 ] || echo no-tty'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = $'to-stdout\nno-tty' ] || fail "stdout: $stdout"
	[ "$stderr" = to-stderr ] || fail "stderr: $stderr"
}

@test "create with --console-socket sends the pty master; output has no CRLF" {
	start_recvtty
	update_config '.process.terminal = true'
	set_cmd 'printf "line1\nline2\n"; tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; stty size'
	ocirun create --console-socket "$SOCK" ct1
	expect_status 0
	# The terminal was sent before create returned; wait until the receiver
	# has set it up, so nothing is written before ONLCR is off.
	wait_for_file "$TTY_READY" || fail "recvtty got no terminal: $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
	ocirun start ct1
	expect_status 0
	wait_for_status ct1 stopped
	wait_recvtty
	local out
	out=$(cat "$TTY_OUT")
	echo "terminal output: $(od -c "$TTY_OUT" | head -20)"
	! grep -q $'\r' "$TTY_OUT" || fail "terminal output has CR characters"
	[ "$(sed -n 1,2p "$TTY_OUT")" = $'line1\nline2' ] || fail "output: $out"
	grep -qxE '/dev/pts/[0-9]+' "$TTY_OUT" || fail "tty is not a /dev/pts device: $out"
	grep -qx all-tty "$TTY_OUT" || fail "stdio is not the terminal: $out"
}

@test "the terminal belongs to the container's devpts" {
	start_recvtty
	update_config '.process.terminal = true'
	# In a new devpts instance the first terminal is pts 0.
	set_cmd 'tty; ls /dev/pts'
	ocirun run --detach --console-socket "$SOCK" ct1
	expect_status 0
	wait_for_status ct1 stopped
	wait_recvtty
	# The process may write before recvtty turns ONLCR off: ignore CRs.
	tr -d '\r' <"$TTY_OUT" | grep -qx /dev/pts/0 || fail "tty: $(cat "$TTY_OUT")"
}

# script(1)'s own terminal turns "\n" into "\r\n" on the way out, as any
# terminal does (runc leaves OPOST on its side). What the runtime must avoid
# is a second translation on the container's terminal: "\r\r\n".
@test "foreground run with a terminal: no CRLF translation on the container's terminal" {
	command -v script >/dev/null || skip "script(1) from util-linux is not installed"
	update_config '.process.terminal = true'
	set_cmd 'printf "fg1\nfg2\n"; [ -t 1 ] && echo fg-tty'
	# script(1) gives the runtime a terminal of its own to attach to.
	local out=$BATS_TEST_TMPDIR/script.out st=0
	timeout 60 script -qec "$(printf '%q ' "$OCIRUN" --root "$ROOT" run ct1)" /dev/null \
		</dev/null >"$out" 2>&1 || st=$?
	echo "script output: $(od -c "$out" | head -20)"
	[ "$st" -eq 0 ] || fail "run exited $st"
	grep -q fg-tty "$out" || fail "the process had no terminal: $(cat "$out")"
	grep -q fg2 "$out" || fail "output incomplete: $(cat "$out")"
	! grep -q $'\r\r' "$out" || fail "the container's terminal translates newlines (CR CR LF)"
	[ "$(tr -d '\0\r' <"$out" | grep -cE '(^|\^@)fg[12]$')" -eq 2 ] || fail "output lines: $(cat "$out")"
}

@test "terminal true without --console-socket on create is refused" {
	update_config '.process.terminal = true'
	ocirun create ct1
	expect_failure
	expect_output_contains 'console'
	expect_nothing_left ct1
}

@test "--console-socket that nobody listens on fails cleanly" {
	update_config '.process.terminal = true'
	ocirun create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" ct1
	expect_failure
	expect_output_contains 'nobody\.sock'
	expect_nothing_left ct1
}

@test "kill of a container started with run -d and a terminal" {
	start_recvtty
	update_config '.process.terminal = true'
	set_args "$BUNDLE" sh
	ocirun run -d --console-socket "$SOCK" ct1
	expect_status 0
	[ "$(container_status ct1)" = running ] || fail "not running"
	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	# Signal 0 to a stopped container fails; with --all it does not.
	ocirun kill ct1 0
	expect_failure
	expect_output_contains 'not running'
	ocirun kill --all ct1 0
	expect_status 0
	ocirun delete ct1
	expect_status 0
	wait_recvtty
}
