#!/usr/bin/env bats
# Cgroups: limits are enforced, pause/resume/update/ps/events work, and
# kill --all / delete --force leave neither processes nor cgroups behind.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

@test "cgroupsPath is honoured and limits are written" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 42},
		"cpu": {"quota": 25000, "period": 100000, "shares": 512}}'
	ocirun run -d ct1
	expect_status 0
	local pid dir
	pid=$(state_field ct1 pid)
	grep -qE ":/.*ocirun-test/$(test_tag)-bundle\$" /proc/$pid/cgroup || fail "cgroupsPath not used: $(cat /proc/$pid/cgroup)"
	[ "$(cgroup_value memory $pid memory.limit_in_bytes memory.max)" = 67108864 ] || fail "memory limit"
	[ "$(cat "$(cgroup_dir pids $pid)/pids.max")" = 42 ] || fail "pids limit"
	if cgroup_v2; then
		[ "$(cat "$(cgroup_dir cpu $pid)/cpu.max")" = "25000 100000" ] || fail "cpu.max"
		[ "$(cat "$(cgroup_dir cpu $pid)/cpu.weight")" = "$(cpu_weight 512)" ] || fail "cpu weight"
	else
		[ "$(cat "$(cgroup_dir cpu $pid)/cpu.cfs_quota_us")" = 25000 ] || fail "cpu quota"
		[ "$(cat "$(cgroup_dir cpu $pid)/cpu.shares")" = 512 ] || fail "cpu shares"
	fi
	# Inside, the cgroup namespace shows the container its own cgroup as "/".
	ocirun exec ct1 cat /proc/self/cgroup
	expect_status 0
	! grep -qv ':/$' <<<"$stdout" || fail "the container does not see its cgroup as /: $stdout"
}

@test "a cgroup mount shows the container's own cgroup, read-only without rw" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc mounts cgroup hierarchies writable unless ro is given"
	update_config '.linux.resources = {"pids": {"limit": 33}} |
		(.mounts[] | select(.type == "cgroup") | .options) = ["nosuid", "noexec", "nodev"]'
	# v1 hierarchies are directories of /sys/fs/cgroup, cgroup2 is the mount itself.
	set_cmd 'd=/sys/fs/cgroup/pids; [ -d $d ] || d=/sys/fs/cgroup; cat $d/pids.max; mkdir $d/sub 2>&1; echo mkdir=$?'
	ocirun run ct1
	expect_status 0
	[ "${lines[0]}" = 33 ] || fail "not the container's own cgroup (pids.max): $output"
	grep -qi 'read-only file system' <<<"$output" || fail "the cgroup mount is writable: $output"
	grep -qx 'mkdir=1' <<<"$output" || fail "mkdir in the cgroup mount: $output"
}

@test "a memory limit is enforced: the OOM killer fires and events reports it" {
	update_config '.linux.resources = {"memory": {"limit": 33554432, "swap": 33554432}}'
	# The pause lets events take its first OOM count before the kill.
	set_cmd "sleep $(slow 1); "'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	ocirun run -d ct1
	expect_status 0
	local events=$BATS_TEST_TMPDIR/events
	timeout "$(slow 20)" "$OCIRUN" --root "$ROOT" events --interval 100ms ct1 >"$events" 2>&1 &
	local ev=$!
	wait_for_status ct1 stopped 20
	wait $ev || true
	grep -q '"type":"oom"' "$events" || fail "no oom event: $(head -c 600 "$events")"
	! grep -q survived "$(container_output_file)" 2>/dev/null || fail "the allocation survived the limit"
}

container_output_file() {
	echo "$BATS_TEST_TMPDIR/call.1.out"
}

@test "a pids limit stops a fork bomb" {
	update_config '.linux.resources = {"pids": {"limit": 20}}'
	# The inner shell dies at its first failed fork; the outer one counts
	# the processes with a glob, which needs no fork.
	set_cmd 'sh -c "for i in \$(seq 1 60); do sleep 30 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#'
	ocirun run ct1
	expect_status 0
	local n=${lines[-1]}
	[ "$n" -le 20 ] || fail "$n processes ran under a limit of 20"
	[ "$n" -ge 15 ] || fail "only $n processes: the limit, not the test, should stop forking"
}

@test "pause freezes, resume continues" {
	# The counter is renamed into place: a shell's "echo >file" truncates
	# before it writes, and a read (or the freeze) could catch it empty.
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i >/tmp/counter.new; mv /tmp/counter.new /tmp/counter; sleep 0.05; done'
	ocirun run -d ct1
	expect_status 0
	wait_for_file "/proc/$(state_field ct1 pid)/root/tmp/counter" 30
	ocirun pause ct1
	expect_status 0
	[ "$(state_field ct1 status)" = paused ] || fail "state is not paused"
	ocirun list --format json
	[ "$(jq -r '.[] | select(.id == "ct1") | .status' <<<"$stdout")" = paused ] || fail "list does not say paused: $stdout"
	local pid
	pid=$(state_field ct1 pid)
	if cgroup_v2; then
		grep -qx 'frozen 1' "$(cgroup_dir freezer $pid)/cgroup.events" || fail "cgroup.events does not say frozen"
	else
		[ "$(cat "$(cgroup_dir freezer $pid)/freezer.state")" = FROZEN ] || fail "freezer not FROZEN"
	fi
	local root=/proc/$pid/root c1 c2
	c1=$(cat $root/tmp/counter)
	sleep 0.4
	c2=$(cat $root/tmp/counter)
	[ "$c1" = "$c2" ] || fail "counter moved while paused: $c1 -> $c2"
	ocirun pause ct1
	expect_failure
	ocirun resume ct1
	expect_status 0
	[ "$(state_field ct1 status)" = running ] || fail "state is not running after resume"
	local deadline=$((SECONDS + $(slow 10)))
	until c2=$(cat $root/tmp/counter) && [ "$c2" -gt "$c1" ]; do
		[ $SECONDS -lt $deadline ] || fail "counter did not move after resume: $c1 -> $c2"
		sleep 0.1
	done
	ocirun resume ct1
	expect_failure
}

@test "update changes live limits, from flags and from JSON on stdin" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 42}}'
	ocirun run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun update --memory 96m ct1
	expect_status 0
	[ "$(cgroup_value memory $pid memory.limit_in_bytes memory.max)" = $((96 << 20)) ] || fail "memory limit not updated"
	# Flags after the id, as runc accepts.
	ocirun update ct1 --pids-limit 17
	expect_status 0
	[ "$(cat "$(cgroup_dir pids $pid)/pids.max")" = 17 ] || fail "pids limit not updated"
	echo '{"cpu": {"quota": 30000, "period": 100000}}' >"$BATS_TEST_TMPDIR/r.json"
	status=0
	timeout 30 "$OCIRUN" --root "$ROOT" update --resources - ct1 <"$BATS_TEST_TMPDIR/r.json" || status=$?
	[ "$status" -eq 0 ] || fail "update --resources - failed"
	[ "$(cgroup_value cpu $pid cpu.cfs_quota_us cpu.max)" = "$(cgroup_v2 && echo "30000 100000" || echo 30000)" ] ||
		fail "cpu quota not updated from stdin"
	if cgroup_v2; then
		# v2 takes a limit below the usage (and reclaims or OOM-kills);
		# checkBeforeUpdate asks for v1's refusal.
		if ! runtime_is_runc_before 1.2; then
			echo '{"memory": {"limit": 1024, "checkBeforeUpdate": true}}' >"$BATS_TEST_TMPDIR/r.json"
			ocirun update --resources "$BATS_TEST_TMPDIR/r.json" ct1
			expect_failure
		fi
	else
		ocirun update --memory 1k ct1
		expect_failure
	fi
}

@test "ps lists the container's processes; events --stats prints stats" {
	set_cmd 'sleep 100 & sleep 200 & wait'
	ocirun run -d ct1
	expect_status 0
	sleep 0.3
	ocirun ps --format json ct1
	expect_status 0
	[ "$(jq length <<<"$stdout")" -eq 3 ] || fail "expected 3 pids: $stdout"
	ocirun ps ct1
	expect_status 0
	grep -q 'sleep 200' <<<"$stdout" || fail "ps table: $stdout"
	ocirun events --stats ct1
	expect_status 0
	jq -e '.type == "stats" and .id == "ct1" and .data.pids.current == 3 and .data.memory.usage.usage > 0' <<<"$stdout" >/dev/null ||
		fail "stats: $stdout"
}

@test "kill --all and delete --force leave no process and no cgroup behind" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 100 & sleep 200 & sleep 300'
	ocirun run -d ct1
	expect_status 0
	sleep 0.3
	local pid dirs pids
	pid=$(state_field ct1 pid)
	dirs="$(cgroup_dir memory $pid) $(cgroup_dir pids $pid) $(cgroup_dir freezer $pid)"
	ocirun ps --format json ct1
	pids=$(jq -r '.[]' <<<"$stdout")
	[ "$(wc -w <<<"$pids")" -eq 3 ] || fail "expected 3 processes: $stdout"
	ocirun kill --all ct1 KILL
	expect_status 0
	local p
	for p in $pids; do wait_pid_gone "$p" 5; done
	ocirun delete ct1
	expect_status 0
	local d
	for d in $dirs; do [ ! -d "$d" ] || fail "cgroup $d left behind"; done

	# delete --force on a running container without a PID namespace.
	ocirun run -d ct2
	expect_status 0
	sleep 0.3
	pid=$(state_field ct2 pid)
	dirs="$(cgroup_dir memory $pid) $(cgroup_dir pids $pid)"
	ocirun ps --format json ct2
	pids=$(jq -r '.[]' <<<"$stdout")
	ocirun delete --force ct2
	expect_status 0
	for p in $pids; do wait_pid_gone "$p" 5; done
	for d in $dirs; do [ ! -d "$d" ] || fail "cgroup $d left behind"; done
}

@test "systemd cgroup driver without systemd is refused clearly" {
	[ ! -d /run/systemd/system ] || skip "systemd runs here"
	update_config '.linux.cgroupsPath = "system.slice:ocirun:ct1"'
	ocirun --systemd-cgroup run ct1
	[ "$status" -ne 0 ] || fail "succeeded"
	grep -qi systemd <<<"$output" || fail "error does not mention systemd: $output"
	expect_nothing_left ct1
}

@test "pids and memory limits too small for the init's setup still run the container" {
	update_config '.linux.resources.pids = {"limit": 5} | .linux.resources.memory = {"limit": 4194304}'
	set_args "$BUNDLE" sh -c 'echo small-limits-ok'
	ocirun run ct1
	expect_status 0
	grep -qx small-limits-ok <<<"$stdout" || fail "no output: $output"
}

@test "a memory limit too small for the container fails in one line naming it" {
	# The finisher that holds a created container is charged about half a
	# MiB (its pages, page tables, kernel stack): 64 KiB is below what any
	# process needs. (1 MiB is enough for a busybox echo.)
	update_config '.linux.resources.memory = {"limit": 65536}'
	set_args "$BUNDLE" echo never
	ocirun run ct1
	expect_failure
	! grep -qx never <<<"$stdout" || fail "the process ran: $output"
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "more than one line: $stderr"
	grep -q 'memory' <<<"$stderr" || fail "the limit is not named: $stderr"
	! grep -qE 'goroutine |rax +0x|SIGABRT' <<<"$output" || fail "a Go crash dump reached the user: $output"
	expect_nothing_left ct1
}

@test "delete --force removes a cgroup at cgroupsPath that existed before create" {
	local rel dirs d
	rel=$(jq -r '.linux.cgroupsPath' "$BUNDLE/config.json")
	ocirun run -d ct1
	expect_status 0
	dirs=$(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$rel" 2>/dev/null)
	[ -n "$dirs" ] || fail "no cgroup directory of $rel found"
	ocirun delete --force ct1
	expect_status 0
	# The directories exist before the next create puts the container in them.
	for d in $dirs; do mkdir -p "$d"; done
	ocirun run -d ct1
	expect_status 0
	ocirun delete --force ct1
	expect_status 0
	for d in $dirs; do
		[ ! -d "$d" ] || fail "left: $d"
	done
}
