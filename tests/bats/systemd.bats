#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup, cgroupsPath "slice:prefix:name"):
# the container's cgroup is a transient scope unit. Needs systemd as PID 1
# (the guests of `make test-v2` have it, on cgroup v2 and on the hybrid
# layout of v1 hosts); skipped elsewhere.

load helpers

setup() {
	[ "$(cat /proc/1/comm)" = systemd ] || skip "systemd is not PID 1 here: the systemd cgroup driver needs it"
	command -v systemctl >/dev/null || skip "no systemctl"
	setup_bundle
	# Unit names take letters, digits and "_" (a "-" in a slice name nests).
	TAG=$(test_tag | tr -c 'A-Za-z0-9\n' '_')
	PREFIX=ocirun-test
	UNIT=$PREFIX-$TAG.scope
	SLICE=system.slice
	set_path "$SLICE:$PREFIX:$TAG"
	# The hybrid layout: a hierarchy per v1 controller, where systemd takes
	# the v1 properties (MemoryLimit, CPUShares, BlockIOWeight) and leaves
	# cpuset to the runtime.
	V1=
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V1=1
}

# unit_cgroup CONTROLLER: the unit's cgroup directory that holds the files
# of CONTROLLER.
unit_cgroup() {
	if [ -n "$V1" ]; then
		echo "/sys/fs/cgroup/$1/$SLICE/$UNIT"
	else
		echo "/sys/fs/cgroup/$SLICE/$UNIT"
	fi
}

# expect_file FILE VALUE
expect_file() {
	[ "$(cat "$1")" = "$2" ] || fail "$1 is '$(cat "$1")', expected '$2'"
}

teardown() {
	teardown_containers
	# Whatever a failed test left to systemd.
	local u
	for u in ${UNIT:-} ${EXTRA_UNITS:-}; do
		systemctl stop "$u" >/dev/null 2>&1 || true
		systemctl reset-failed "$u" >/dev/null 2>&1 || true
	done
}

set_path() {
	update_config ".linux.cgroupsPath = \"$1\""
}

# prop UNIT NAME: one property as `systemctl show` prints it.
prop() {
	systemctl show -P "$2" "$1"
}

# expect_prop UNIT NAME VALUE
expect_prop() {
	local got
	got=$(prop "$1" "$2")
	[ "$got" = "$3" ] || fail "$1: $2 is '$got', expected '$3'"
}

# unit_gone UNIT: systemd no longer knows the unit, nor has its cgroup.
unit_gone() {
	local load
	load=$(prop "$1" LoadState)
	[ "$load" = not-found ] || fail "unit $1 is still there: LoadState=$load ActiveState=$(prop "$1" ActiveState)"
}

@test "systemd: the scope is created with the container's resources as unit properties" {
	update_config '.linux.resources += {"memory": {"limit": 67108864, "reservation": 16777216},
		"pids": {"limit": 42}, "cpu": {"shares": 512, "quota": 25000, "period": 100000, "cpus": "0"}}'
	# v1 has proportional I/O weights only with the BFQ (or CFQ) scheduler.
	if [ -z "$V1" ] || [ -e /sys/fs/cgroup/blkio/blkio.weight ]; then
		update_config '.linux.resources.blockIO = {"weight": 500}'
	fi
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	local pid dir
	pid=$(state_field ct1 pid)
	grep -qx "0::/$SLICE/$UNIT" /proc/$pid/cgroup || fail "init not in the unit's cgroup: $(cat /proc/$pid/cgroup)"
	expect_prop "$UNIT" ActiveState active
	expect_prop "$UNIT" Slice "$SLICE"
	expect_prop "$UNIT" ControlGroup "/$SLICE/$UNIT"
	expect_prop "$UNIT" Delegate yes
	expect_prop "$UNIT" DefaultDependencies no
	expect_prop "$UNIT" TasksMax 42
	expect_prop "$UNIT" CPUQuotaPerSecUSec 250ms
	expect_prop "$UNIT" CPUQuotaPeriodUSec 100ms
	# What systemd wrote and what the runtime wrote agree.
	expect_file "$(unit_cgroup pids)/pids.max" 42
	grep -q "^Cpus_allowed_list:[[:space:]]*0$" /proc/$pid/status || fail "init not on CPU 0: $(grep Cpus_allowed_list /proc/$pid/status)"
	if [ -n "$V1" ]; then
		expect_prop "$UNIT" MemoryLimit 67108864
		expect_prop "$UNIT" CPUShares 512
		expect_file "$(unit_cgroup memory)/memory.limit_in_bytes" 67108864
		expect_file "$(unit_cgroup memory)/memory.soft_limit_in_bytes" 16777216
		expect_file "$(unit_cgroup cpu)/cpu.cfs_quota_us" 25000
		expect_file "$(unit_cgroup cpu)/cpu.cfs_period_us" 100000
		expect_file "$(unit_cgroup cpu)/cpu.shares" 512
		# systemd has no cpuset on v1: the runtime's cgroupfs code places it.
		grep -q "^[0-9]*:cpuset:/$SLICE/$UNIT\$" /proc/$pid/cgroup || fail "init not in the unit's cpuset cgroup: $(cat /proc/$pid/cgroup)"
		expect_file "$(unit_cgroup cpuset)/cpuset.cpus" 0
	else
		expect_prop "$UNIT" MemoryMax 67108864
		expect_prop "$UNIT" MemoryLow 16777216
		expect_prop "$UNIT" AllowedCPUs 0
		dir=$(unit_cgroup memory)
		expect_file "$dir/memory.max" 67108864
		expect_file "$dir/cpu.max" "25000 100000"
		[ "$(prop "$UNIT" CPUWeight)" = "$(cat "$dir/cpu.weight")" ] || fail "CPUWeight $(prop "$UNIT" CPUWeight) but cpu.weight $(cat "$dir/cpu.weight")"
		# runc (1.1) leaves the IO weight to the cgroup file.
		if [ -e "$dir/io.weight" ] && [ "$OCIRUN_NAME" != runc ]; then
			[ "$(prop "$UNIT" IOWeight)" = "$(awk '$1 == "default" {print $2}' "$dir/io.weight")" ] ||
				fail "IOWeight $(prop "$UNIT" IOWeight) but io.weight $(cat "$dir/io.weight")"
		fi
	fi
	# The container's devices are limited by systemd too.
	expect_prop "$UNIT" DevicePolicy strict
	prop "$UNIT" DeviceAllow | grep -q '/dev/char/1:3 rwm' || fail "DeviceAllow: $(prop "$UNIT" DeviceAllow)"
}

@test "systemd: limits are enforced (pids, memory)" {
	update_config '.linux.resources += {"pids": {"limit": 20}}'
	# The inner shell dies at its first failed fork; the outer one counts
	# the processes with a glob, which needs no fork.
	set_cmd 'sh -c "for i in \$(seq 1 60); do sleep 30 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#'
	ocirun --systemd-cgroup run ct1
	expect_status 0
	local n
	n=$(tail -n 1 <<<"$stdout")
	[ "$n" -le 20 ] || fail "$n processes ran under TasksMax=20"
	[ "$n" -ge 15 ] || fail "only $n processes: the limit, not the test, should stop forking"
	unit_gone "$UNIT"

	update_config '.linux.resources += {"memory": {"limit": 33554432, "swap": 33554432}}'
	set_cmd 'sleep 1; x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	ocirun --systemd-cgroup run ct2
	! grep -q survived <<<"$output" || fail "a 100 MB allocation survived MemoryMax=32M: $output"
	unit_gone "$UNIT"
}

@test "systemd: delete stops the unit and removes its cgroup" {
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	expect_prop "$UNIT" ActiveState active
	[ -d "$(unit_cgroup pids)" ] || fail "no cgroup for the unit"
	ocirun --systemd-cgroup kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	ocirun --systemd-cgroup delete ct1
	expect_status 0
	unit_gone "$UNIT"
	local c
	for c in pids memory cpuset; do
		[ ! -e "$(unit_cgroup $c)" ] || fail "the unit's cgroup $(unit_cgroup $c) is left"
	done
	# delete --force of a running one too.
	ocirun --systemd-cgroup run -d ct2
	expect_status 0
	ocirun --systemd-cgroup delete --force ct2
	expect_status 0
	unit_gone "$UNIT"
}

@test "systemd: exec joins the unit's cgroup, update changes unit properties" {
	update_config '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	local procs before
	procs=$(unit_cgroup pids)/cgroup.procs
	before=$(wc -l <"$procs")
	ocirun --systemd-cgroup exec -d ct1 sleep 100
	expect_status 0
	[ "$(wc -l <"$procs")" -gt "$before" ] || fail "the exec'd process is not in the unit's cgroup: $(cat "$procs")"
	ocirun --systemd-cgroup update --memory 104857600 --pids-limit 17 ct1
	expect_status 0
	expect_prop "$UNIT" TasksMax 17
	expect_file "$(unit_cgroup pids)/pids.max" 17
	if [ -n "$V1" ]; then
		expect_prop "$UNIT" MemoryLimit 104857600
		expect_file "$(unit_cgroup memory)/memory.limit_in_bytes" 104857600
	else
		expect_prop "$UNIT" MemoryMax 104857600
		expect_file "$(unit_cgroup memory)/memory.max" 104857600
	fi
}

@test "systemd: a slice that does not exist yet is created, nested by its dashes" {
	local top=ocirunt$RANDOM
	local slice=$top-$TAG.slice
	EXTRA_UNITS="$slice $top.slice"
	set_path "$slice:$PREFIX:$TAG"
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	grep -qx "0::/$top.slice/$slice/$UNIT" /proc/$pid/cgroup || fail "not in the nested slice: $(cat /proc/$pid/cgroup)"
	expect_prop "$UNIT" Slice "$slice"
	ocirun --systemd-cgroup delete --force ct1
	expect_status 0
	unit_gone "$UNIT"
}

@test "systemd: delete --force of a running container, 20 times in a row" {
	# delete freezes the scope, sends SIGKILL and thaws it. On cgroup v2 a
	# frozen process dies of SIGKILL at once, and systemd may remove the
	# emptied scope before the thaw: a cgroup that is gone has nothing to
	# thaw (this failed once in CI before the fix).
	local i
	for i in $(seq 20); do
		ocirun --systemd-cgroup run -d ct1
		expect_status 0
		ocirun --systemd-cgroup delete --force ct1
		expect_status 0
		unit_gone "$UNIT"
	done
}

@test "systemd: org.systemd.property annotations set unit properties" {
	update_config '.annotations += {"org.systemd.property.TimeoutStopSec": "17", "org.systemd.property.CollectMode": "\u0027inactive-or-failed\u0027"}'
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	expect_prop "$UNIT" TimeoutStopUSec 17s
	expect_prop "$UNIT" CollectMode inactive-or-failed
}

@test "systemd: a property systemd refuses fails create naming unit and property, leaving nothing" {
	update_config '.annotations += {"org.systemd.property.NoSuchProperty": "true"}'
	ocirun --systemd-cgroup run -d ct1
	expect_failure
	if [ "$OCIRUN_NAME" != runc ]; then
		grep -q "$UNIT" <<<"${lines[-1]}" || fail "the last line does not name the unit: ${lines[-1]}"
		grep -q NoSuchProperty <<<"${lines[-1]}" || fail "the last line does not name the property: ${lines[-1]}"
	fi
	expect_nothing_left ct1
	unit_gone "$UNIT"
}

@test "systemd: a failed unit of the same name is reset, and a failed container's unit is removed by delete" {
	# runc resets such a unit and retries since 1.2 (1.1 starts nothing).
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 does not reset a failed unit of the same name"
	# A scope that failed (stopped by its RuntimeMaxSec) stays until reset.
	systemd-run --quiet --scope --unit="$UNIT" -p RuntimeMaxSec=1 sleep 30 >/dev/null 2>&1 || true
	[ "$(prop "$UNIT" ActiveState)" = failed ] || skip "could not make a failed scope: $(prop "$UNIT" ActiveState)"
	ocirun --systemd-cgroup run -d ct1
	expect_status 0
	expect_prop "$UNIT" ActiveState active
	# The container is OOM-killed: systemd marks its unit failed.
	update_config '.linux.resources += {"memory": {"limit": 33554432, "swap": 33554432}}'
	ocirun --systemd-cgroup delete --force ct1
	expect_status 0
	set_cmd 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	ocirun --systemd-cgroup run -d ct2
	expect_status 0
	local i
	for i in $(seq 100); do
		[ "$(container_status ct2)" = stopped ] && break
		sleep 0.2
	done
	wait_for_status ct2 stopped
	ocirun --systemd-cgroup delete ct2
	expect_status 0
	unit_gone "$UNIT"
}
