#!/usr/bin/env bats
# Containers without a PID namespace of their own (pods with hostPID): the
# init's death does not take the other processes along, so kill KILL and
# delete must find them through the container's cgroup, as runc does.

load helpers

setup() {
	setup_bundle
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
}

teardown() {
	teardown_containers
}

# start_sleepers ID: a container whose init runs five sleep processes;
# prints their host pids (the init included).
start_sleepers() {
	set_cmd 'for i in 1 2 3 4 5; do sleep 1000 & done; echo ready >/tmp/ready; wait'
	ocirun run -d "$1" >&2
	expect_status 0 || return 1
	wait_for_file "$BUNDLE/rootfs/tmp/ready" || return 1
	pids_in_ns mnt "$(state_field "$1" pid)"
}

@test "hostpid: kill KILL kills every process of the container's cgroup" {
	runtime_is_runc_before 1.2 && skip "runc before 1.2 sends KILL to the init only"
	local pids p
	pids=$(start_sleepers ct1)
	[ "$(wc -w <<<"$pids")" -eq 6 ] || fail "expected 6 processes, got: $pids"
	ocirun kill ct1 KILL
	expect_status 0
	for p in $pids; do wait_pid_gone "$p" 10; done
	wait_for_status ct1 stopped
	ocirun delete ct1
	expect_status 0
}

@test "hostpid: delete of a container whose init is gone kills the rest" {
	local pids init p dirs
	pids=$(start_sleepers ct1)
	init=$(state_field ct1 pid)
	dirs="$(cgroup_dir memory "$init") $(cgroup_dir pids "$init")"
	kill -9 "$init"
	wait_pid_gone "$init"
	wait_for_status ct1 stopped
	for p in $pids; do
		[ "$p" = "$init" ] || pid_alive "$p" || fail "sleep $p died with the init"
	done
	ocirun delete ct1
	expect_status 0
	for p in $pids; do wait_pid_gone "$p" 10; done
	for p in $dirs; do [ ! -d "$p" ] || fail "cgroup $p left behind"; done
}

@test "hostpid: delete --force of a container whose init is gone kills the rest" {
	local pids init p
	pids=$(start_sleepers ct1)
	init=$(state_field ct1 pid)
	kill -9 "$init"
	wait_pid_gone "$init"
	ocirun delete --force ct1
	expect_status 0
	for p in $pids; do wait_pid_gone "$p" 10; done
}

@test "hostpid: delete --force kills processes in sub-cgroups and removes them" {
	[ -d /sys/fs/cgroup/memory ] || skip "needs cgroup v1"
	local pids init p c sub subs=
	pids=$(start_sleepers ct1)
	init=$(state_field ct1 pid)
	# Move two sleepers into a sub-cgroup of every v1 hierarchy.
	for c in memory pids cpu devices freezer; do
		sub=$(cgroup_dir "$c" "$init")/sub
		mkdir "$sub"
		subs+=" $sub"
		for p in $(tail -2 <<<"$pids"); do echo "$p" >"$sub/cgroup.procs"; done
	done
	ocirun delete --force ct1
	expect_status 0
	for p in $pids; do wait_pid_gone "$p" 10; done
	for sub in $subs; do [ ! -d "$sub" ] || fail "sub-cgroup $sub left behind"; done
}

@test "hostpid: the pid create reports is the container's process after start, and exec runs beside it" {
	set_cmd 'echo $$ >/tmp/pid; exec sleep 1000'
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	[ "$(state_field ct1 status)" = created ] || fail "not created"
	ocirun exec ct1 sh -c 'echo exec $$'
	expect_status 0
	[[ "$stdout" =~ ^exec\ [0-9]+$ ]] || fail "exec printed: $stdout"
	[ "${stdout#exec }" != "$pid" ] || fail "exec ran as the init's pid $pid"
	ocirun start ct1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/pid"
	[ "$(cat "$BUNDLE/rootfs/tmp/pid")" = "$pid" ] || fail "the process is $(cat "$BUNDLE/rootfs/tmp/pid"), create reported $pid"
	[ "$(state_field ct1 status)" = running ] || fail "not running"
}
