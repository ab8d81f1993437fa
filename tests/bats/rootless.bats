#!/usr/bin/env bats
# Without root (tests/rootless/run.sh runs this as an unprivileged account,
# with OCIRUN_ROOTLESS=1): the default state directory, user namespaces joined
# or mapped through newuidmap, limits the user may not have refused with an
# error naming them, and a delegated cgroup subtree used.

load helpers

setup() {
	rootless || skip "runs without root only (tests/rootless/run.sh)"
	setup_bundle
}

teardown() {
	rootless || return 0
	if [ -n "${DEFAULT_ROOT:-}" ]; then
		timeout 30 "$OCIRUN" delete --force ct-default >/dev/null 2>&1 </dev/null || true
		[ -z "${DEFAULT_ROOT_MADE:-}" ] || rm -r "$DEFAULT_ROOT"
	fi
	teardown_containers
	remove_delegated_cgroups
}

# delegated_path: the cgroupsPath of this test in the delegated subtree
# (OCIRUN_ROOTLESS_CGROUP, a relative cgroupsPath there, set by run.sh).
delegated_path() {
	echo "$OCIRUN_ROOTLESS_CGROUP/$(test_tag)"
}

# relative_base CONTROLLER: the directory a relative cgroupsPath is resolved
# against in CONTROLLER's hierarchy: the caller's cgroup, on cgroup v2 its
# parent.
relative_base() {
	local d
	d=$(cgroup_dir "$1" self)
	cgroup_v2 && d=$(dirname "$d")
	echo "$d"
}

# require_delegated CONTROLLER...: skip unless OCIRUN_ROOTLESS_CGROUP is in
# a delegated subtree, in the hierarchy of each controller: the cgroup is,
# or its nearest existing ancestor is, the user's, and has the controller.
require_delegated() {
	[ -n "${OCIRUN_ROOTLESS_CGROUP:-}" ] || skip "no delegated cgroup (OCIRUN_ROOTLESS_CGROUP, set by tests/rootless/run.sh)"
	local c d
	for c in "$@"; do
		d=$(relative_base "$c")/$OCIRUN_ROOTLESS_CGROUP
		while [ ! -d "$d" ]; do d=$(dirname "$d"); done
		[ -w "$d" ] && [ -w "$d/cgroup.procs" ] || skip "$d is not a delegated cgroup"
		cgroup_v2 || continue
		# The v2 freezer is no controller: every cgroup but the root has
		# cgroup.freeze.
		if [ "$c" = freezer ]; then
			[ -e "$d/cgroup.freeze" ] || skip "no cgroup.freeze in $d"
		else
			grep -qw "$c" "$d/cgroup.controllers" || skip "the $c controller is not available in $d"
		fi
	done
}

# keep_out_of_delegation: make sure the container gets no cgroup. Without a
# cgroupsPath it would be in the delegated subtree when a relative path
# lands there (cgroup v2, where run.sh puts the caller in the subtree, as
# systemd's Delegate=yes does); it is then given a path below the root,
# which the user may not write.
keep_out_of_delegation() {
	[ -w "$(relative_base memory)/cgroup.procs" ] || return 0
	[ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 fails on a cgroupsPath it cannot create, and without one its container would be in the delegated subtree"
	update_config ".linux.cgroupsPath = \"/ocirun-test/$(test_tag)\""
}

# remove_delegated_cgroups: rmdir this test's (empty) cgroups in the
# delegated subtree of every hierarchy.
remove_delegated_cgroups() {
	[ -n "${OCIRUN_ROOTLESS_CGROUP:-}" ] || return 0
	local base
	for base in $(relative_cgroup_bases); do
		[ ! -d "$base/$(delegated_path)" ] || rmdir "$base/$(delegated_path)" 2>/dev/null || true
	done
}

@test "without --root the state is under XDG_RUNTIME_DIR, in a directory named after the runtime" {
	[ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ] || skip "no XDG_RUNTIME_DIR"
	DEFAULT_ROOT=$XDG_RUNTIME_DIR/$OCIRUN_NAME
	[ -e "$DEFAULT_ROOT" ] || DEFAULT_ROOT_MADE=1
	# The detached container keeps its stdio: a file, not a pipe.
	local out st=0
	timeout 30 "$OCIRUN" run -d --bundle "$BUNDLE" ct-default >"$BATS_TEST_TMPDIR/run.out" 2>&1 </dev/null || st=$?
	[ "$st" = 0 ] || fail "run -d without --root: $(cat "$BATS_TEST_TMPDIR/run.out")"
	[ -d "$DEFAULT_ROOT/ct-default" ] || fail "no state in $DEFAULT_ROOT: $(ls -la "$DEFAULT_ROOT" 2>&1)"
	[ "$(stat -c %u "$DEFAULT_ROOT")" = "$(id -u)" ] || fail "$DEFAULT_ROOT is not the user's"
	out=$(timeout 30 "$OCIRUN" list -q </dev/null) || fail "list without --root failed"
	[ "$out" = ct-default ] || fail "list without --root: $out"
	out=$(timeout 30 "$OCIRUN" delete --force ct-default 2>&1 </dev/null) || fail "delete without --root: $out"
	[ ! -e "$DEFAULT_ROOT/ct-default" ] || fail "delete left $DEFAULT_ROOT/ct-default"
}

@test "a second container joins the first one's user, network, ipc and uts namespaces by path" {
	update_config '.hostname = "ctr-a"'
	set_cmd 'echo ready >/tmp/ready; sleep 1000'
	ocirun run -d ct-a
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	local pida b2=$BATS_TEST_TMPDIR/b2
	pida=$(state_field ct-a pid)
	new_bundle "$b2"
	# The mappings stay: they are those of the namespace joined.
	join_namespaces_of "$pida" "$b2" user net ipc uts
	ocirun run --bundle "$b2" ct-b
	expect_status 0
	[ "${lines[0]}" = ctr-a ] || fail "B does not see A's hostname: $stdout"
	expect_joined_only "$pida" user net ipc uts
	[ "$(state_field ct-a status)" = running ] || fail "B's exit stopped A"
}

@test "several id ranges are mapped through newuidmap and newgidmap" {
	map_other_ids
	local us gs
	us=$(subordinate_ids /etc/subuid | cut -d' ' -f1)
	gs=$(subordinate_ids /etc/subgid | cut -d' ' -f1)
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'echo made >/tmp/by-1000; sleep 1000'
	ocirun run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	wait_for_file "$BUNDLE/rootfs/tmp/by-1000" || fail "$(container_output 1)"
	ocirun exec ct1 sh -c 'cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map'
	expect_status 0
	local uid_map gid_map
	uid_map=$(sed -n '1,/^---$/p' <<<"$stdout" | grep -v '^---$' | awk '{print $1, $2, $3}')
	gid_map=$(sed -n '/^---$/,$p' <<<"$stdout" | grep -v '^---$' | awk '{print $1, $2, $3}')
	[ "$uid_map" = "0 $(id -u) 1"$'\n'"1 $us 65536" ] || fail "uid_map: $uid_map"
	[ "$gid_map" = "0 $(id -g) 1"$'\n'"1 $gs 65536" ] || fail "gid_map: $gid_map"
	# Container uid 1000 is the 1000th subordinate id on the host.
	grep -qE "^Uid:[[:space:]]+$((us + 999))[[:space:]]" "/proc/$pid/status" || fail "host uid: $(grep ^Uid: "/proc/$pid/status")"
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/by-1000")" = "$((us + 999)):$((gs + 999))" ] ||
		fail "owner on the host: $(stat -c %u:%g "$BUNDLE/rootfs/tmp/by-1000")"
}

@test "a mapping of ids the user does not own fails with one line naming it, and leaves nothing" {
	update_config ".linux.uidMappings = [{containerID: 0, hostID: $(id -u), size: 1}, {containerID: 1, hostID: 100000, size: 65536}]"
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'newuidmap|uid_?map|uidMappings'
	expect_output_contains '100000'
	# runc prints warnings and newuidmap's own line besides its error.
	[ "$OCIRUN_NAME" = runc ] || [ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	expect_nothing_left ct1
}

@test "a memory limit without a delegated cgroup is refused with an error naming it" {
	keep_out_of_delegation
	update_config '.linux.resources.memory.limit = 33554432'
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'memory'
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'linux\.resources\.memory'
	expect_nothing_left ct1
}

@test "a cgroupsPath whose parent is not delegated, without limits: the container runs without a cgroup" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 ignores an unwritable cgroup only when no cgroupsPath is given"
	update_config ".linux.cgroupsPath = \"ocirun-test/$(test_tag)\""
	keep_out_of_delegation
	set_cmd 'echo ran'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = ran ] || fail "output: $output"
}

@test "an rlimit above the user's hard limit is refused clearly" {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the hard RLIMIT_NOFILE is unlimited"
	update_config ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: $((hard + 1)), hard: $((hard + 1))}]"
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'rlimit'
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'RLIMIT_NOFILE'
	expect_nothing_left ct1
}

@test "an oomScoreAdj below the current one is refused" {
	local cur
	cur=$(cat /proc/self/oom_score_adj)
	[ "$cur" -gt -1000 ] || skip "oom_score_adj is already -1000"
	update_config ".process.oomScoreAdj = $((cur - 1))"
	set_cmd true
	ocirun run ct1
	expect_failure
	expect_output_contains 'oom_?score_?adj'
	expect_nothing_left ct1
}

@test "pause without a writable freezer fails clearly and leaves the container running" {
	keep_out_of_delegation
	ocirun run -d ct1
	expect_status 0
	ocirun pause ct1
	expect_failure
	expect_output_contains 'freezer|cgroup'
	[ "$(state_field ct1 status)" = running ] || fail "status after a failed pause: $(state_field ct1 status)"
	ocirun exec ct1 true
	expect_status 0
}

@test "exec, kill and delete of a container without a cgroup" {
	keep_out_of_delegation
	set_cmd 'trap "echo got-term >/tmp/sig; exit 0" TERM; sleep 1000 & wait'
	ocirun run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun exec ct1 sh -c 'echo from-exec; id -u'
	expect_status 0
	[ "$stdout" = $'from-exec\n0' ] || fail "exec: $output"
	ocirun kill ct1 TERM
	expect_status 0
	wait_for_status ct1 stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = got-term ] || fail "TERM not delivered"
	ocirun delete ct1
	expect_status 0
	wait_pid_gone "$pid"
	expect_nothing_left ct1
}

@test "ps lists the processes of a container without a cgroup" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 finds a container's processes through its cgroup, which it does not have here"
	keep_out_of_delegation
	ocirun run -d ct1
	expect_status 0
	ocirun exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" ct1 sleep 300
	expect_status 0
	ocirun ps --format json ct1
	expect_status 0
	jq -e --argjson i "$(state_field ct1 pid)" --argjson e "$(cat "$BATS_TEST_TMPDIR/exec.pid")" \
		'index($i) != null and index($e) != null' <<<"$stdout" >/dev/null || fail "ps: $stdout"
}

@test "a delegated cgroup subtree is used: a memory limit applies and pause works" {
	require_delegated memory pids freezer
	update_config ".linux.cgroupsPath = \"$(delegated_path)\"
		| .linux.resources = {memory: {limit: 33554432}, pids: {limit: 50}}"
	ocirun run -d ct1
	expect_status 0
	local pid cg
	pid=$(state_field ct1 pid)
	cg=$(cgroup_dir memory "$pid")
	[[ $cg == */$(delegated_path) ]] || fail "not in the delegated cgroup: $cg"
	[ "$(cgroup_value memory "$pid" memory.limit_in_bytes memory.max)" = 33554432 ] || fail "memory limit not applied"
	[ "$(cgroup_value pids "$pid" pids.max pids.max)" = 50 ] || fail "pids limit not applied"
	ocirun pause ct1
	expect_status 0
	[ "$(state_field ct1 status)" = paused ] || fail "status after pause: $(state_field ct1 status)"
	if ! cgroup_v2; then
		[ "$(cgroup_value freezer "$pid" freezer.state -)" = FROZEN ] || fail "freezer.state: $(cgroup_value freezer "$pid" freezer.state -)"
	fi
	grep -qE '^State:[[:space:]]+[SD]' "/proc/$pid/status" || fail "$(grep ^State: "/proc/$pid/status")"
	ocirun resume ct1
	expect_status 0
	[ "$(state_field ct1 status)" = running ] || fail "status after resume: $(state_field ct1 status)"
	ocirun delete --force ct1
	expect_status 0
	[ ! -d "$cg" ] || fail "delete left the cgroup $cg"
}

@test "kill --all in a delegated cgroup reaches every process, also in the host's PID namespace" {
	require_delegated freezer pids
	update_config ".linux.cgroupsPath = \"$(delegated_path)\""
	expect_kill_all_reaches_shared_pidns
}

@test "kill --all without a cgroup and without a PID namespace fails naming why; delete --force still removes the container" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc 1.1 fails to find the processes without a cgroup, with another message"
	keep_out_of_delegation
	share_host_pidns
	set_cmd 'sleep 1000 & echo ready >/tmp/ready; wait'
	ocirun run --detach ct1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	local pid pids p
	pid=$(state_field ct1 pid)
	pids=$(pids_in_ns mnt "$pid")
	ocirun kill --all ct1 TERM
	expect_failure
	[ "${#lines[@]}" -eq 1 ] || fail "not one line: $output"
	expect_output_contains 'only its init \(pid [0-9]+\) was signalled: without a cgroup .* its other processes cannot be found'
	ocirun delete --force ct1
	expect_status 0
	expect_output_contains 'warning: .*its other processes cannot be found'
	wait_pid_gone "$pid"
	# What nothing could find is the test's to remove.
	for p in $pids; do
		[ "$p" = "$pid" ] || kill -9 "$p"
	done
	expect_nothing_left ct1
}
