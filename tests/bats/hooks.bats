#!/usr/bin/env bats
# Lifecycle hooks: each phase runs at its moment, in its namespace, with the
# state on stdin and exactly its own args and env; failures fail the
# operation with the hook's path and stderr (poststop only warns).

load helpers

setup() {
	setup_bundle
	# Host-side hooks and the container see one log: the rootfs's /hook.log
	# is $HOOKLOG on the host.
	HOOKLOG=$BUNDLE/rootfs/hook.log
	: >"$HOOKLOG"
	# A variable of the caller that must not reach any hook.
	export OCIRUN_TEST_LEAK=leaked
}

teardown() {
	teardown_containers
}

# The recording hook: busybox's sh, so that the same hook works on the host
# and inside the container. It appends one line per call:
#   PHASE|STATE-JSON|MOUNT-NS|ARGV|ENV
# ARGV is its own /proc/PID/cmdline without "-c SCRIPT" (so argv[0] shows),
# ENV its environment.
RECORD='printf "%s|%s|%s|%s|%s\n" "$1" "$(cat)" "$(readlink /proc/self/ns/mnt)" "$(tr "\0" "\n" </proc/$$/cmdline | sed -n "1p;4,\$p" | tr "\n" " ")" "$(env | grep -v -e ^PWD= -e ^SHLVL= -e ^_= | sort | tr "\n" " ")" >>"$2"'

# hook_json PHASE LOG [TIMEOUT]: one recording hook entry.
hook_json() {
	jq -n --arg script "$RECORD" --arg phase "$1" --arg log "$2" '{
		path: "/bin/busybox",
		args: ["sh", "-c", $script, "hook-sh", $phase, $log],
		env: ["PATH=/usr/bin:/bin", "HOOK_PHASE=\($phase)"],
		timeout: 10
	}'
}

# add_hook PHASE HOOK-JSON: append to hooks.PHASE.
add_hook() {
	update_config ".hooks.$1 += [$2]"
}

# log_line PHASE: the log's line of a phase (fails unless exactly one).
log_line() {
	local l
	l=$(grep "^$1|" "$HOOKLOG") || fail "no $1 line in the hook log: $(cat "$HOOKLOG")" || return 1
	[ "$(wc -l <<<"$l")" -eq 1 ] || fail "$1 ran more than once: $l" || return 1
	echo "$l"
}

# log_field PHASE N: field N (1-based, |-separated) of a phase's line.
log_field() {
	log_line "$1" | cut -d'|' -f"$2"
}

# phases_in_log: the phases in the order they were logged.
phases_in_log() {
	cut -d'|' -f1 "$HOOKLOG" | tr '\n' ' '
}

all_hooks() {
	local p
	for p in prestart createRuntime createContainer poststart poststop; do
		add_hook $p "$(hook_json $p "$HOOKLOG")"
	done
	# startContainer runs in the container, after pivot_root: its path and
	# its log are the container's.
	add_hook startContainer "$(hook_json startContainer /hook.log)"
	update_config '.annotations = {"org.ocirun.test": "hooks"}'
}

@test "hooks run in order, each at its moment" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 runs poststart in create and hooks differently"
	all_hooks
	set_cmd 'echo "process|" >>/hook.log; exec sleep 1000'

	ocirun create ct1
	expect_status 0
	[ "$(phases_in_log)" = "prestart createRuntime createContainer " ] ||
		fail "after create: $(phases_in_log)"

	ocirun start ct1
	expect_status 0
	# poststart runs before start returns, after the process was executed.
	[ "$(phases_in_log)" = "prestart createRuntime createContainer startContainer poststart " ] ||
		[ "$(phases_in_log)" = "prestart createRuntime createContainer startContainer process poststart " ] ||
		fail "after start: $(phases_in_log)"
	wait_for_file "$HOOKLOG"
	local deadline=$((SECONDS + 10))
	until grep -q '^process|' "$HOOKLOG"; do
		[ $SECONDS -lt $deadline ] || fail "the process never ran: $(phases_in_log)"
		sleep 0.1
	done

	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	! grep -q '^poststop|' "$HOOKLOG" || fail "poststop ran before delete"
	ocirun delete ct1
	expect_status 0
	[ "$(phases_in_log | sed 's/process //')" = "prestart createRuntime createContainer startContainer poststart poststop " ] ||
		fail "after delete: $(phases_in_log)"
}

@test "hooks get the state on stdin" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 runs poststart in create and hooks differently"
	all_hooks
	ocirun create ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun start ct1
	expect_status 0
	ocirun delete --force ct1
	expect_status 0

	local p st
	for p in prestart createRuntime createContainer startContainer poststart poststop; do
		st=$(log_field $p 2) || return 1
		jq -e . <<<"$st" >/dev/null || fail "$p: state is not JSON: $st"
		jq -e '.ociVersion | startswith("1.")' <<<"$st" >/dev/null || fail "$p: ociVersion: $st"
		jq -e '.id == "ct1"' <<<"$st" >/dev/null || fail "$p: id: $st"
		jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$st" >/dev/null || fail "$p: bundle: $st"
		jq -e '.annotations["org.ocirun.test"] == "hooks"' <<<"$st" >/dev/null || fail "$p: annotations: $st"
		if [ $p != poststop ]; then
			jq -e --argjson pid "$pid" '.pid == $pid' <<<"$st" >/dev/null || fail "$p: pid is not the init's $pid: $st"
		fi
	done
	for p in prestart createRuntime createContainer; do
		jq -e '.status == "creating" or .status == "created"' <<<"$(log_field $p 2)" >/dev/null ||
			fail "$p: status: $(log_field $p 2)"
	done
	jq -e '.status == "created"' <<<"$(log_field startContainer 2)" >/dev/null || fail "startContainer: status: $(log_field startContainer 2)"
	jq -e '.status == "running"' <<<"$(log_field poststart 2)" >/dev/null || fail "poststart: status: $(log_field poststart 2)"
	jq -e '.status == "stopped"' <<<"$(log_field poststop 2)" >/dev/null || fail "poststop: status: $(log_field poststop 2)"
}

@test "hooks run in the runtime's or the container's namespaces" {
	# The created init waits for startContainer in a process started
	# outside the container's user namespace, not dumpable: only root may
	# read its /proc/PID/ns.
	! rootless || skip "needs root to read the namespaces of an init that waits for a startContainer hook"
	all_hooks
	ocirun create ct1
	expect_status 0
	local pid host_mnt ct_mnt
	pid=$(state_field ct1 pid)
	host_mnt=$(readlink /proc/self/ns/mnt)
	ct_mnt=$(readlink /proc/$pid/ns/mnt)
	[ "$host_mnt" != "$ct_mnt" ]
	ocirun start ct1
	expect_status 0
	ocirun delete --force ct1
	expect_status 0

	local p
	for p in prestart createRuntime poststart poststop; do
		[ "$(log_field $p 3)" = "$host_mnt" ] || fail "$p ran in mount namespace $(log_field $p 3), not the runtime's $host_mnt"
	done
	for p in createContainer startContainer; do
		[ "$(log_field $p 3)" = "$ct_mnt" ] || fail "$p ran in mount namespace $(log_field $p 3), not the container's $ct_mnt"
	done
}

@test "hooks get exactly their own args and env" {
	all_hooks
	set_cmd true
	ocirun run ct1
	expect_status 0
	local p args env
	for p in prestart createRuntime createContainer startContainer poststart poststop; do
		args=$(log_field $p 4)
		env=$(log_field $p 5)
		# argv[0] is args[0], not the path; the rest follow in order.
		# createContainer runs in the container's PID namespace before
		# pivot_root, with the runtime's /proc, where its $$ is not itself.
		if [ $p != createContainer ]; then
			[[ $args == "sh hook-sh $p "*hook.log" " ]] || fail "$p: argv: '$args'"
		fi
		[ "$env" = "HOOK_PHASE=$p PATH=/usr/bin:/bin " ] || fail "$p: environment: '$env'"
	done
}

@test "a startContainer hook without an env gets the process's environment" {
	add_hook startContainer "$(hook_json startContainer /hook.log | jq 'del(.env)')"
	update_config '.process.env = ["PATH=/bin:/usr/bin", "HOME=/root", "PROC_VAR=from-process"]'
	set_cmd true
	ocirun run ct1
	expect_status 0
	[ "$(log_field startContainer 5)" = "HOME=/root PATH=/bin:/usr/bin PROC_VAR=from-process " ] ||
		fail "startContainer hook env: $(log_field startContainer 5)"
}

# failing_hook NAME: a host script that says NAME on stderr and exits 3.
failing_hook() {
	local f=$BATS_TEST_TMPDIR/$1-hook
	printf '#!/bin/sh\necho "%s: the hook broke" >&2\nexit 3\n' "$1" >"$f"
	chmod +x "$f"
	echo "$f"
}

@test "a failing prestart, createRuntime or createContainer hook fails create" {
	set_cmd 'echo "process|" >>/hook.log'
	local p h
	for p in prestart createRuntime createContainer; do
		h=$(failing_hook $p)
		update_config "del(.hooks) | .hooks.$p = [{\"path\": \"$h\"}]"
		ocirun create ct-$p
		expect_failure
		[ "$OCIRUN_NAME" = runc ] || expect_output_contains "$h"
		expect_output_contains "$p: the hook broke"
		expect_nothing_left ct-$p
	done
	! grep -q '^process|' "$HOOKLOG" || fail "the process ran"
}

@test "a failing startContainer hook fails start, and the process never runs" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 runs poststart in create and hooks differently"
	set_cmd 'echo "process|" >>/hook.log'
	# Inside the container: the path resolves there.
	printf '#!/bin/sh\necho "startContainer: the hook broke" >&2\nexit 3\n' >"$BUNDLE/rootfs/bin/failing-hook"
	chmod +x "$BUNDLE/rootfs/bin/failing-hook"
	update_config '.hooks.startContainer = [{"path": "/bin/failing-hook"}]'
	ocirun create ct1
	expect_status 0
	ocirun start ct1
	expect_failure
	expect_output_contains '/bin/failing-hook'
	expect_output_contains 'startContainer: the hook broke'
	wait_for_status ct1 stopped
	! grep -q '^process|' "$HOOKLOG" || fail "the process ran after its startContainer hook failed"
}

@test "a failing poststart hook fails start and stops the container" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 runs poststart in create and hooks differently"
	local h
	h=$(failing_hook poststart)
	update_config ".hooks.poststart = [{\"path\": \"$h\"}]"
	ocirun create ct1
	expect_status 0
	ocirun start ct1
	expect_failure
	expect_output_contains "$h"
	expect_output_contains 'poststart: the hook broke'
	wait_for_status ct1 stopped
}

@test "a failing poststop hook is a warning: delete succeeds" {
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 runs poststart in create and hooks differently"
	local h
	h=$(failing_hook poststop)
	update_config ".hooks.poststop = [{\"path\": \"$h\"}, $(hook_json poststop "$HOOKLOG")]"
	set_cmd true
	ocirun run --keep ct1
	expect_status 0
	ocirun delete ct1
	expect_status 0
	local out=$output
	# The next poststop hook still ran, and the container is gone.
	log_line poststop >/dev/null
	ocirun state ct1
	expect_failure
	output=$out
	expect_output_contains "$h"
	expect_output_contains 'poststop: the hook broke'
}

@test "a hook that outlives its timeout is killed and fails the operation" {
	local h=$BATS_TEST_TMPDIR/slow-hook
	printf '#!/bin/sh\nsleep 30\n' >"$h"
	chmod +x "$h"
	update_config ".hooks.createRuntime = [{\"path\": \"$h\", \"timeout\": 1}]"
	local start=$SECONDS
	ocirun create ct1
	expect_failure
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains "$h"
	expect_output_contains 'time'
	[ $((SECONDS - start)) -lt 15 ] || fail "create took $((SECONDS - start))s with a 1s hook timeout"
	expect_nothing_left ct1
	! pgrep -f "$h" >/dev/null || fail "the hook is still running"
}

@test "hooks, the container's process and exec inherit the caller's timer slack" {
	# A slack no process has by default; a process may set its own, and
	# ocirun, its hooks and the container's processes descend from this one.
	echo 123457 >"/proc/$BASHPID/timerslack_ns"
	local script='echo "$1 $(cat /proc/self/timerslack_ns)" >>"$2"' p log
	for p in createRuntime createContainer startContainer; do
		log=$HOOKLOG
		[ $p != startContainer ] || log=/hook.log
		add_hook $p "$(jq -n --arg s "$script" --arg p $p --arg log "$log" \
			'{path: "/bin/busybox", args: ["sh", "-c", $s, "hook-sh", $p, $log]}')"
	done
	set_cmd 'echo "process $(cat /proc/self/timerslack_ns)" >>/hook.log; exec sleep 300'
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	ocirun start ct1
	expect_status 0
	ocirun exec ct1 sh -c 'echo "exec $(cat /proc/self/timerslack_ns)" >>/hook.log'
	expect_status 0
	local want got deadline=$((SECONDS + 10))
	want=$(printf '%s 123457\n' createContainer createRuntime exec process startContainer)
	until got=$(sort "$HOOKLOG") && [ "$got" = "$want" ]; do
		[ $SECONDS -lt $deadline ] || fail "timer slacks, want all 123457:"$'\n'"$got" || return 1
		sleep 0.05
	done
}
