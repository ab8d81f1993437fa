#!/usr/bin/env bats
# The Makefile hands what a user types on make's command line to the
# scripts it runs unchanged.

load helpers

# make_cmd TARGET VAR=VALUE...: the commands make would run (make -n), with
# RUNTIME set so that nothing is built first.
make_cmd() {
	local target=$1
	shift
	make -s -n -C "$REPO" --no-print-directory "$target" RUNTIME=/bin/true "$@"
}

@test "make test-engines passes ENGINES_FILTER to run.sh as one argument" {
	# A stand-in for tests/engines/run.sh that prints its arguments.
	mkdir -p "$BATS_TEST_TMPDIR/tests/engines"
	printf '#!/bin/sh\nprintf "<%%s>\\n" "$@"\n' >"$BATS_TEST_TMPDIR/tests/engines/run.sh"
	chmod +x "$BATS_TEST_TMPDIR/tests/engines/run.sh"
	local filter cmd out
	for filter in 'podman/tty|cri/' "it's a (b|c)\$" ''; do
		cmd=$(make_cmd test-engines ENGINES_FILTER="$filter")
		out=$(cd "$BATS_TEST_TMPDIR" && bash -c "$cmd" 2>&1) || fail "filter '$filter': $cmd: $out"
		[ "$out" = "<$filter>" ] || fail "filter '$filter' reached run.sh as: $out (command: $cmd)"
	done
}
