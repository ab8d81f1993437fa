#!/usr/bin/env bats
# The process environment as runc builds it: HOME from the container's
# /etc/passwd when unset or empty, one entry per name with the last value.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

@test "env: an empty HOME= is replaced by the user's home from /etc/passwd" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "HOME="] | .process.user = {"uid": 65534, "gid": 65534}'
	set_args "$BUNDLE" env
	ocirun run ct1
	expect_status 0
	[ "$(grep ^HOME= <<<"$output")" = HOME=/nonexistent ] || fail "HOME of uid 65534: $output"
	# A uid without a passwd entry gets /.
	update_config '.process.user = {"uid": 4321, "gid": 4321}'
	ocirun run ct2
	expect_status 0
	[ "$(grep ^HOME= <<<"$output")" = HOME=/ ] || fail "HOME of uid 4321: $output"
}

@test "env: a variable given several times is set once, to the last value" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "A=1", "B=x", "A=2"]'
	# env itself, not a shell, which would sort its environment its own way.
	set_args "$BUNDLE" env
	ocirun run ct1
	expect_status 0
	[ "$(grep -E '^(A|B)=' <<<"$output" | sort)" = $'A=2\nB=x' ] || fail "env: $output"
	# exec --env after the config's: once more, the last one wins.
	set_args "$BUNDLE" "${LONG_RUNNING[@]}"
	ocirun run -d ct2
	expect_status 0
	ocirun exec --env A=3 --env B=y --env A=4 ct2 env
	expect_status 0
	[ "$(grep -E '^(A|B)=' <<<"$output" | sort)" = $'A=4\nB=y' ] || fail "exec env: $output"
}

@test "env: exec --user gets HOME from the container's /etc/passwd" {
	update_config '.process.env = ["PATH=/bin:/usr/bin"]'
	ocirun run -d ct1
	expect_status 0
	ocirun exec --user 65534:65534 ct1 sh -c 'echo $HOME'
	expect_status 0
	[ "$output" = /nonexistent ] || fail "HOME of uid 65534: $output"
	ocirun exec ct1 sh -c 'echo $HOME'
	expect_status 0
	[ "$output" = /root ] || fail "HOME of uid 0: $output"
}

@test "env: the process's environment is the config's and HOME, nothing of the runtime's" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "A=1"]'
	# Neither the caller's environment nor the one the runtime gives its
	# init (GOMAXPROCS, _OCIRUN_*) may reach the container. env itself,
	# not a shell, which would add variables of its own.
	export OCIRUN_TEST_LEAK=leaked
	local want=$'A=1\nHOME=/root\nPATH=/bin:/usr/bin'
	set_args "$BUNDLE" env
	ocirun run ct1
	expect_status 0
	[ "$(sort <<<"$output")" = "$want" ] || fail "environment of the container's process: $output"

	set_args "$BUNDLE" sleep 300
	ocirun run -d ct2
	expect_status 0
	ocirun exec ct2 env
	expect_status 0
	[ "$(sort <<<"$output")" = "$want" ] || fail "environment of an exec'd process: $output"
}
