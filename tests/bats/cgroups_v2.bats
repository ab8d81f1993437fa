#!/usr/bin/env bats
# cgroup v2: every linux.resources setting that v2 supports is written to the
# container's cgroup AND enforced on its processes, and the v2 mechanisms
# behind pause/resume, update, events, ps, kill --all, nested paths and the
# cgroup namespace work. These need a pure cgroup v2 host with controllers
# delegated to the caller; elsewhere they skip (make test-v2 runs them in a
# guest that is such a host). Timings are generous: the guest is emulated.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
}

# run_d ID: `run -d` the bundle as ID and set $pid and $cg (its cgroup).
run_d() {
	ocirun run -d "$1"
	expect_status 0 || return 1
	pid=$(state_field "$1" pid)
	cg=$(cgroup_dir "" "$pid")
}

@test "v2 memory.max: a process above the limit is OOM-killed, memory.events and events count it" {
	require_cgroup_v2 memory
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# tail keeps all its input in memory; the shell survives to report.
	set_cmd "sleep $(slow 1); "'head -c 200000000 /dev/zero | tail >/dev/null; echo rc=$? >/tmp/rc; sleep 1000'
	run_d ct1
	[ "$(cat "$cg/memory.max")" = 33554432 ] || fail "memory.max: $(cat "$cg/memory.max")"
	[ "$(cat "$cg/memory.swap.max")" = 0 ] || fail "memory.swap.max: $(cat "$cg/memory.swap.max")"
	local events=$BATS_TEST_TMPDIR/events
	timeout "$(slow 60)" "$OCIRUN" --root "$ROOT" events --interval 200ms ct1 >"$events" 2>&1 &
	local ev=$!
	wait_for_file "/proc/$pid/root/tmp/rc" 60
	[ "$(cat "/proc/$pid/root/tmp/rc")" = rc=137 ] || fail "the allocation ended with $(cat "/proc/$pid/root/tmp/rc"), not SIGKILL"
	local n
	n=$(awk '$1 == "oom_kill" {print $2}' "$cg/memory.events")
	[ "$n" -ge 1 ] || fail "memory.events: $(cat "$cg/memory.events")"
	# events polls at 200ms; give it time, then stop it.
	local deadline=$((SECONDS + $(slow 20)))
	until grep -q '"type":"oom"' "$events" || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
	kill $ev 2>/dev/null
	wait $ev 2>/dev/null || true
	grep -q '"type":"oom"' "$events" || fail "no oom event: $(head -c 600 "$events")"
	ocirun events --stats ct1
	expect_status 0
	jq -e '.data.memory.usage.limit == 33554432' <<<"$stdout" >/dev/null || fail "stats limit: $stdout"
	ocirun delete --force ct1
	expect_status 0
}

@test "v2 pids.max refuses forks beyond the limit and pids.events counts them" {
	require_cgroup_v2 pids
	update_config '.linux.resources.pids = {"limit": 12}'
	set_cmd 'sleep 1000'
	run_d ct1
	[ "$(cat "$cg/pids.max")" = 12 ] || fail "pids.max: $(cat "$cg/pids.max")"
	# The inner shell dies at its first failed fork; the outer one counts
	# with a glob, which needs no fork.
	ocirun exec ct1 sh -c 'sh -c "for i in \$(seq 1 30); do sleep 100 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#'
	expect_status 0
	local n=${lines[-1]}
	[ "$n" -le 12 ] || fail "$n processes under a limit of 12"
	[ "$(awk '$1 == "max" {print $2}' "$cg/pids.events")" -ge 1 ] || fail "pids.events: $(cat "$cg/pids.events")"
}

@test "v2 cpu.max throttles a busy loop (cpu.stat) and cpu.weight is converted from shares" {
	require_cgroup_v2 cpu
	update_config '.linux.resources.cpu = {"quota": 10000, "period": 100000, "shares": 2048}'
	set_cmd 'while :; do :; done'
	run_d ct1
	[ "$(cat "$cg/cpu.max")" = "10000 100000" ] || fail "cpu.max: $(cat "$cg/cpu.max")"
	[ "$(cat "$cg/cpu.weight")" = "$(cpu_weight 2048)" ] || fail "cpu.weight: $(cat "$cg/cpu.weight"), want $(cpu_weight 2048)"
	# Measured over a stretch of the running loop, not from the start: the
	# runtime's own start-up in the cgroup may come before the quota.
	sleep 2
	local u0 p0 u1 p1 throttled
	u0=$(awk '$1 == "usage_usec" {print $2}' "$cg/cpu.stat")
	p0=$(awk '$1 == "nr_periods" {print $2}' "$cg/cpu.stat")
	sleep 3
	u1=$(awk '$1 == "usage_usec" {print $2}' "$cg/cpu.stat")
	p1=$(awk '$1 == "nr_periods" {print $2}' "$cg/cpu.stat")
	throttled=$(awk '$1 == "nr_throttled" {print $2}' "$cg/cpu.stat")
	[ "$throttled" -ge 5 ] || fail "not throttled: $(cat "$cg/cpu.stat")"
	[ $((p1 - p0)) -ge 5 ] || fail "only $((p1 - p0)) periods in 3 s: $(cat "$cg/cpu.stat")"
	# At most 10 ms in each 100 ms period, with slack for overruns.
	[ $((u1 - u0)) -le $(((p1 - p0) * 15000 + 50000)) ] ||
		fail "used $((u1 - u0)) us of CPU in $((p1 - p0)) periods under a 10% quota: $(cat "$cg/cpu.stat")"
}

@test "v2 cpuset.cpus and cpuset.mems confine the container" {
	require_cgroup_v2 cpuset
	[ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs to show a confinement"
	update_config '.linux.resources.cpu = {"cpus": "1", "mems": "0"}'
	set_cmd 'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status; sleep 1000'
	run_d ct1
	[ "$(cat "$cg/cpuset.cpus")" = 1 ] || fail "cpuset.cpus: $(cat "$cg/cpuset.cpus")"
	[ "$(cat "$cg/cpuset.mems")" = 0 ] || fail "cpuset.mems: $(cat "$cg/cpuset.mems")"
	[ "$(cat "$cg/cpuset.cpus.effective")" = 1 ] || fail "cpuset.cpus.effective: $(cat "$cg/cpuset.cpus.effective")"
	ocirun exec ct1 grep Cpus_allowed_list /proc/self/status
	expect_output_contains '^Cpus_allowed_list:[[:space:]]+1$'
	grep -qE '^Cpus_allowed_list:[[:space:]]+1$' "/proc/$pid/status" || fail "init: $(grep Cpus_allowed /proc/$pid/status)"
}

# root_disk: "MAJOR MINOR NAME" of the disk the root filesystem is on.
root_disk() {
	local dev name
	dev=$(findmnt -n -o SOURCE /)
	name=$(basename "$(readlink -f "$dev")")
	[ -e "/sys/class/block/$name/dev" ] || return 1
	# a partition's disk is its parent directory in sysfs
	[ -e "/sys/class/block/$name/partition" ] && name=$(basename "$(dirname "$(readlink -f "/sys/class/block/$name")")")
	echo "$(tr : ' ' <"/sys/class/block/$name/dev") $name"
}

@test "v2 io.weight and io.max: written per device, and a read rate limit slows direct reads" {
	require_cgroup_v2 io
	local disk maj min name
	disk=$(root_disk) || skip "the root filesystem is not on a block device here"
	read -r maj min name <<<"$disk"
	update_config '.linux.resources.blockIO = {"weight": 500,
		"throttleReadBpsDevice": [{"major": '"$maj"', "minor": '"$min"', "rate": 1048576}],
		"throttleWriteIOPSDevice": [{"major": '"$maj"', "minor": '"$min"', "rate": 100}]} |
		.linux.devices = [{"path": "/dev/disk0", "type": "b", "major": '"$maj"', "minor": '"$min"', "fileMode": 384}] |
		.linux.resources.devices += [{"allow": true, "type": "b", "major": '"$maj"', "minor": '"$min"', "access": "r"}]'
	set_cmd 'sleep 1000'
	run_d ct1
	grep -qE "^$maj:$min rbps=1048576 wbps=max riops=max wiops=100\$" "$cg/io.max" || fail "io.max: $(cat "$cg/io.max")"
	if [ -e "$cg/io.bfq.weight" ]; then
		grep -qx 'default 500' "$cg/io.bfq.weight" || fail "io.bfq.weight: $(cat "$cg/io.bfq.weight")"
	else
		# blkio 500 -> io.weight 1 + (500 - 10) * 9999 / 990 = 4950
		grep -qx 'default 4950' "$cg/io.weight" || fail "io.weight: $(cat "$cg/io.weight")"
	fi
	# 3 MiB at 1 MiB/s, uncached: about 2 s at least (the first second's
	# budget may be spent at once).
	local t0=$SECONDS
	ocirun exec ct1 dd if=/dev/disk0 of=/dev/null bs=64k count=48 iflag=direct
	expect_status 0
	[ $((SECONDS - t0)) -ge 2 ] || fail "3 MiB read in $((SECONDS - t0)) s under a 1 MiB/s limit; io.stat: $(cat "$cg/io.stat")"
}

@test "v2 hugetlb: the limit is written and a larger reservation fails" {
	require_cgroup_v2 hugetlb
	[ -e /sys/fs/cgroup/hugetlb.2MB.current ] || [ -n "$(ls /sys/fs/cgroup/*/hugetlb.2MB.max 2>/dev/null)" ] || skip "no 2 MB huge pages here"
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 4 ] || skip "needs at least 4 huge pages (vm.nr_hugepages is $(cat /proc/sys/vm/nr_hugepages))"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}] |
		.mounts += [{"destination": "/huge", "type": "hugetlbfs", "source": "hugetlbfs", "options": ["pagesize=2M"]}]'
	set_cmd 'fallocate -l 4194304 /huge/fits && echo fits-ok; fallocate -l 8388608 /huge/toobig 2>&1 && echo toobig-ok; sleep 1000'
	run_d ct1
	[ "$(cat "$cg/hugetlb.2MB.max")" = 4194304 ] || fail "hugetlb.2MB.max: $(cat "$cg/hugetlb.2MB.max")"
	local deadline=$((SECONDS + $(slow 30)))
	until grep -q fits-ok "$BATS_TEST_TMPDIR/call.1.out" && [ "$(grep -c . "$BATS_TEST_TMPDIR/call.1.out")" -ge 2 ]; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.5
	done
	local out
	out=$(container_output 1)
	grep -q fits-ok <<<"$out" || fail "2 huge pages under a limit of 2 were refused: $out"
	! grep -q toobig-ok <<<"$out" || fail "4 huge pages under a limit of 2 were granted: $out"
	[ "$(awk '$1 == "max" {print $2}' "$cg/hugetlb.2MB.events")" -ge 1 ] || fail "hugetlb.2MB.events: $(cat "$cg/hugetlb.2MB.events")"
}

@test "v2 rdma: rdma.max is written for a present device" {
	require_cgroup_v2 rdma
	local dev
	dev=$(ls /sys/class/infiniband 2>/dev/null | head -n 1)
	[ -n "$dev" ] || skip "no RDMA device here (/sys/class/infiniband is empty): rdma.max takes only present devices"
	update_config '.linux.resources.rdma = {"'"$dev"'": {"hcaHandles": 3, "hcaObjects": 100}}'
	run_d ct1
	grep -q "^$dev hca_handle=3 hca_object=100" "$cg/rdma.max" || fail "rdma.max: $(cat "$cg/rdma.max")"
}

@test "v2 linux.resources.unified: files written as given, winning over converted values, and enforced" {
	require_cgroup_v2 memory pids
	update_config '.linux.resources.pids = {"limit": 100} |
		.linux.resources.unified = {"pids.max": "6", "memory.high": "41943040", "memory.oom.group": "1"}'
	set_cmd 'sleep 1000'
	run_d ct1
	[ "$(cat "$cg/pids.max")" = 6 ] || fail "pids.max: $(cat "$cg/pids.max")"
	[ "$(cat "$cg/memory.high")" = 41943040 ] || fail "memory.high: $(cat "$cg/memory.high")"
	[ "$(cat "$cg/memory.oom.group")" = 1 ] || fail "memory.oom.group: $(cat "$cg/memory.oom.group")"
	ocirun exec ct1 sh -c 'sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 100 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#'
	expect_status 0
	[ "${lines[-1]}" -le 6 ] || fail "${lines[-1]} processes under unified pids.max 6"
	ocirun delete --force ct1
	expect_status 0
	# A key naming no interface file fails the run and leaves nothing.
	update_config '.linux.resources.unified = {"memory.no_such_file": "1"}'
	ocirun run ct2
	expect_failure
	expect_output_contains 'memory.no_such_file'
	expect_nothing_left ct2
}

@test "v2 devices: the eBPF program allows the listed devices and denies the rest" {
	require_cgroup_v2
	local disk maj min name
	disk=$(root_disk) || skip "the root filesystem is not on a block device here"
	read -r maj min name <<<"$disk"
	# A bind mount brings the disk's node in without a linux.devices entry,
	# so only linux.resources.devices decides whether it opens. Writing
	# opens it for writing and writes nothing (count=0).
	update_config '.mounts += [{"destination": "/dev/disk0", "type": "bind", "source": "/dev/'"$name"'", "options": ["bind"]}]'
	local probe='head -c1 /dev/zero >/dev/null && echo zero=ok || echo zero=denied
		echo x >/dev/null && echo null=ok || echo null=denied
		head -c1 /dev/disk0 >/dev/null && echo read=ok || echo read=denied
		dd if=/dev/null of=/dev/disk0 count=0 conv=notrunc 2>/dev/null && echo write=ok || echo write=denied'
	set_cmd "$probe"
	ocirun run ct1
	expect_status 0
	local want
	for want in zero=ok null=ok read=denied write=denied; do
		grep -qx "$want" <<<"$stdout" || fail "no rule for the disk: expected $want: $output"
	done
	grep -qi 'operation not permitted' <<<"$stderr" || fail "the denial is not EPERM: $stderr"
	# Read-only access for the disk: reading works, opening for writing not.
	update_config '.linux.resources.devices = [{"allow": true, "type": "b", "major": '"$maj"', "minor": '"$min"', "access": "r"}]'
	ocirun run ct2
	expect_status 0
	for want in zero=ok null=ok read=ok write=denied; do
		grep -qx "$want" <<<"$stdout" || fail "read-only rule for the disk: expected $want: $output"
	done
}

@test "v2 pause and resume go through cgroup.freeze and cgroup.events" {
	require_cgroup_v2
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i >/tmp/counter; sleep 0.1; done'
	run_d ct1
	wait_for_file "/proc/$pid/root/tmp/counter" 30
	ocirun pause ct1
	expect_status 0
	[ "$(cat "$cg/cgroup.freeze")" = 1 ] || fail "cgroup.freeze is $(cat "$cg/cgroup.freeze")"
	grep -qx 'frozen 1' "$cg/cgroup.events" || fail "cgroup.events: $(cat "$cg/cgroup.events")"
	[ "$(state_field ct1 status)" = paused ] || fail "state is not paused"
	local c1 c2
	c1=$(cat "/proc/$pid/root/tmp/counter")
	sleep 1
	c2=$(cat "/proc/$pid/root/tmp/counter")
	[ "$c1" = "$c2" ] || fail "counter moved while frozen: $c1 -> $c2"
	# An exec into a frozen container would hang: it is refused (runc
	# exits 255 for it, which is no signal).
	ocirun exec ct1 true
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "exec into a frozen container: status $status"
	expect_output_contains 'paus'
	[ "$(cat "$cg/cgroup.freeze")" = 1 ] || fail "the refused exec thawed the cgroup"
	ocirun resume ct1
	expect_status 0
	[ "$(cat "$cg/cgroup.freeze")" = 0 ] || fail "cgroup.freeze is $(cat "$cg/cgroup.freeze") after resume"
	grep -qx 'frozen 0' "$cg/cgroup.events" || fail "cgroup.events after resume: $(cat "$cg/cgroup.events")"
	local deadline=$((SECONDS + $(slow 20)))
	# The shell truncates the file before it writes: a read may find it
	# empty (and a freeze may have caught it there).
	until c2=$(cat "/proc/$pid/root/tmp/counter") && [ "${c2:-0}" -gt "${c1:-0}" ]; do
		[ $SECONDS -lt $deadline ] || fail "counter did not move after resume"
		sleep 0.2
	done
}

@test "v2 update changes memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight and unified files, and the new pids limit holds" {
	require_cgroup_v2 memory pids cpu
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50}, "cpu": {"shares": 1024}}'
	set_cmd 'sleep 1000'
	run_d ct1
	ocirun update --memory 96m --memory-swap 128m --pids-limit 7 --cpu-quota 20000 --cpu-period 50000 --cpu-share 512 ct1
	expect_status 0
	[ "$(cat "$cg/memory.max")" = $((96 << 20)) ] || fail "memory.max: $(cat "$cg/memory.max")"
	[ "$(cat "$cg/memory.swap.max")" = $((32 << 20)) ] || fail "memory.swap.max: $(cat "$cg/memory.swap.max")"
	[ "$(cat "$cg/pids.max")" = 7 ] || fail "pids.max: $(cat "$cg/pids.max")"
	[ "$(cat "$cg/cpu.max")" = "20000 50000" ] || fail "cpu.max: $(cat "$cg/cpu.max")"
	[ "$(cat "$cg/cpu.weight")" = "$(cpu_weight 512)" ] || fail "cpu.weight: $(cat "$cg/cpu.weight"), want $(cpu_weight 512)"
	ocirun exec ct1 sh -c 'sh -c "for i in \$(seq 1 20); do sleep 100 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#'
	expect_status 0
	[ "${lines[-1]}" -le 7 ] || fail "${lines[-1]} processes after update --pids-limit 7"
	echo '{"unified": {"memory.high": "83886080"}, "memory": {"limit": 134217728}}' >"$BATS_TEST_TMPDIR/r.json"
	status=0
	timeout 60 "$OCIRUN" --root "$ROOT" update --resources "$BATS_TEST_TMPDIR/r.json" ct1 || status=$?
	[ "$status" -eq 0 ] || fail "update --resources failed"
	[ "$(cat "$cg/memory.max")" = 134217728 ] || fail "memory.max after --resources: $(cat "$cg/memory.max")"
	[ "$(cat "$cg/memory.high")" = 83886080 ] || fail "memory.high: $(cat "$cg/memory.high")"
	# v2 takes a limit below the usage (it reclaims, then OOM-kills);
	# checkBeforeUpdate asks for a refusal instead, and update reports it.
	if ! runtime_is_runc_before 1.2; then
		echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' >"$BATS_TEST_TMPDIR/r.json"
		ocirun update --resources "$BATS_TEST_TMPDIR/r.json" ct1
		expect_failure
		expect_output_contains 'current usage'
		[ "$(cat "$cg/memory.max")" = 134217728 ] || fail "memory.max changed by a refused update: $(cat "$cg/memory.max")"
	fi
}

@test "v2 ps lists every process of the cgroup and kill --all reaches all of them" {
	require_cgroup_v2
	# No PID namespace: killing the init does not take the others with it.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'sleep 100 & sleep 200 & sleep 300'
	run_d ct1
	ocirun exec -d ct1 sleep 400
	expect_status 0
	local deadline=$((SECONDS + $(slow 20))) procs
	until [ "$(wc -l <"$cg/cgroup.procs")" -ge 4 ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
	procs=$(sort -n "$cg/cgroup.procs")
	ocirun ps --format json ct1
	expect_status 0
	[ "$(jq -r '.[]' <<<"$stdout" | sort -n)" = "$procs" ] || fail "ps: $stdout, cgroup.procs: $procs"
	ocirun kill --all ct1 KILL
	expect_status 0
	local p
	for p in $procs; do wait_pid_gone "$p" 20; done
	[ -z "$(cat "$cg/cgroup.procs")" ] || fail "cgroup.procs after kill --all: $(cat "$cg/cgroup.procs")"
	ocirun delete ct1
	expect_status 0
	[ ! -d "$cg" ] || fail "cgroup $cg left after delete"
}

@test "v2 nested cgroupsPath: every level gets the controllers, delete removes what it made" {
	require_cgroup_v2 memory pids
	local top
	top=ocirun-test/$(test_tag)-nested
	update_config '.linux.cgroupsPath = "'"$top"'/a/b/c" | .linux.resources = {"memory": {"limit": 50331648}, "pids": {"limit": 30}}'
	set_cmd 'sleep 1000'
	run_d ct1
	[[ $cg == */$top/a/b/c ]] || fail "cgroup $cg is not the nested path"
	[ "$(cat "$cg/memory.max")" = 50331648 ] || fail "memory.max at depth: $(cat "$cg/memory.max")"
	[ "$(cat "$cg/pids.max")" = 30 ] || fail "pids.max at depth: $(cat "$cg/pids.max")"
	local d
	for d in "${cg%/a/b/c}" "${cg%/b/c}" "${cg%/c}"; do
		grep -qw memory "$d/cgroup.subtree_control" || fail "$d does not delegate memory: $(cat "$d/cgroup.subtree_control")"
	done
	ocirun delete --force ct1
	expect_status 0
	[ ! -d "$cg" ] || fail "the container's cgroup $cg is left"
	if [ "$OCIRUN_NAME" = runc ]; then
		# runc removes only the container's own cgroup, not the parents
		# it created for it.
		find "${cg%/a/b/c}" -depth -type d -exec rmdir {} \;
	else
		[ ! -d "${cg%/a/b/c}" ] || fail "nested cgroups left: $(find "${cg%/a/b/c}" -type d)"
	fi
}

@test "v2 cgroup namespace: /sys/fs/cgroup and /proc/self/cgroup show the container's own subtree" {
	require_cgroup_v2 memory pids
	update_config '.linux.resources = {"memory": {"limit": 41943040}, "pids": {"limit": 25}} |
		(.mounts[] | select(.type == "cgroup") | .options) = ["nosuid", "noexec", "nodev", "rw"]'
	set_cmd 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
		grep -c . /sys/fs/cgroup/cgroup.procs; mkdir /sys/fs/cgroup/sub && echo sub=ok; rmdir /sys/fs/cgroup/sub
		ls /sys/fs/cgroup | grep -c ocirun-test; sleep 1000'
	run_d ct1
	ocirun exec ct1 true
	local deadline=$((SECONDS + $(slow 20)))
	until grep -q '^[0-9]*$' "$BATS_TEST_TMPDIR/call.1.out" 2>/dev/null && [ "$(wc -l <"$BATS_TEST_TMPDIR/call.1.out")" -ge 6 ]; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.2
	done
	local out
	mapfile -t out <"$BATS_TEST_TMPDIR/call.1.out"
	[ "${out[0]}" = "0::/" ] || fail "/proc/self/cgroup inside: ${out[*]}"
	[ "${out[1]}" = 41943040 ] || fail "memory.max seen inside: ${out[*]}"
	[ "${out[2]}" = 25 ] || fail "pids.max seen inside: ${out[*]}"
	[ "${out[4]}" = sub=ok ] || fail "the container cannot make a child cgroup in its own rw cgroup mount: ${out[*]}"
	[ "${out[5]}" = 0 ] || fail "the container sees cgroups outside its own: ${out[*]}"
	grep -q "ocirun-test/$(test_tag)-bundle\$" "/proc/$pid/cgroup" || fail "host view: $(cat /proc/$pid/cgroup)"
}
