#!/usr/bin/env bats
# Cgroup behaviours engines learned from runc: exec lands in the
# container's cgroup of every hierarchy, a frozen cgroup is refused,
# unified resources need cgroup v2, updates of devices and cpu limits work
# without a moment of denial or a spurious EINVAL.

load helpers

setup() {
	setup_bundle
}

teardown() {
	# A frozen cgroup would keep whatever entered it; teardown removes the
	# test's cgroups (pod ones included) once they are empty.
	[ -z "${FROZEN_DIR:-}" ] || echo THAWED >"$FROZEN_DIR/freezer.state" || true
	teardown_containers
}

# container_cgroup CONTROLLER: the host directory the bundle's container
# gets in a v1 hierarchy (its cgroupsPath below the caller's cgroup).
container_cgroup() {
	local rel own mnt
	rel=$(jq -r .linux.cgroupsPath "$BUNDLE/config.json")
	own=$(awk -F: -v c="$1" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' /proc/self/cgroup)
	mnt=$(awk -v c="$1" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") {print $2; exit}' /proc/self/mounts)
	echo "$mnt${own%/}/$rel"
}

@test "cgroups: exec joins the container's cgroup in every hierarchy" {
	ocirun run -d ct1
	expect_status 0
	local init pid
	init=$(state_field ct1 pid)
	ocirun exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" ct1 sleep 1000
	expect_status 0
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ "$(cat /proc/$pid/cgroup)" = "$(cat /proc/$init/cgroup)" ] ||
		fail "exec'd process: $(cat /proc/$pid/cgroup); init: $(cat /proc/$init/cgroup)"
	grep -q ":/.*ocirun-test/$(test_tag)-bundle\$" /proc/$pid/cgroup || fail "not the container's cgroup: $(cat /proc/$pid/cgroup)"
}

@test "cgroups: create and run refuse a pre-existing frozen cgroup" {
	[ -d /sys/fs/cgroup/freezer ] || skip "needs the cgroup v1 freezer"
	local dir
	dir=$(container_cgroup freezer)
	mkdir -p "$dir"
	FROZEN_DIR=$dir
	echo FROZEN >"$dir/freezer.state"
	ocirun run -d ct1
	expect_failure
	expect_output_contains 'frozen'
	ocirun create ct2
	expect_failure
	expect_output_contains 'frozen'
	expect_nothing_left ct2
	[ "$(cat "$dir/freezer.state")" = FROZEN ] || fail "the cgroup was thawed: $(cat "$dir/freezer.state")"
}

@test "cgroups: linux.resources.unified on a cgroup v1 host fails" {
	[ -d /sys/fs/cgroup/memory ] || skip "needs cgroup v1"
	update_config '.linux.resources.unified = {"memory.min": "131072"}'
	ocirun run -d ct1
	expect_failure
	expect_output_contains 'unified'
	expect_nothing_left ct1
}

@test "cgroups: update of device rules never denies an allowed device meanwhile" {
	[ -d /sys/fs/cgroup/devices ] || skip "needs the cgroup v1 devices controller"
	set_cmd 'while :; do echo x >/dev/null || echo denied >>/tmp/denied; done'
	ocirun run -d ct1
	expect_status 0
	local i rules
	rules='{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]}'
	for i in $(seq 20); do
		"$OCIRUN" --root "$ROOT" update -r - ct1 <<<"$rules" || fail "update $i failed"
	done
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ] || fail "/dev/null was denied $(wc -l <"$BUNDLE/rootfs/tmp/denied") times during updates"
	grep -qx 'c 1:3 rwm' "$(container_cgroup devices)/devices.list" || fail "devices.list: $(cat "$(container_cgroup devices)/devices.list")"
}

@test "cgroups: update of the cpu period inside a pod cgroup with a pod limit" {
	[ -d /sys/fs/cgroup/cpu ] || skip "needs the cgroup v1 cpu controller"
	update_config ".linux.cgroupsPath = \"ocirun-test/$(test_tag)-pod/ct\""
	local pod
	pod=$(dirname "$(container_cgroup cpu)")
	mkdir -p "$pod"
	echo 50000 >"$pod/cpu.cfs_quota_us"
	ocirun run -d ct1
	expect_status 0
	# Above the pod's 50% fails; 30% with a shorter period works.
	ocirun update --cpu-quota 60000 ct1
	expect_failure
	ocirun update --cpu-period 10000 --cpu-quota 3000 ct1
	expect_status 0
	local dir
	dir=$(container_cgroup cpu)
	[ "$(cat "$dir/cpu.cfs_period_us") $(cat "$dir/cpu.cfs_quota_us")" = "10000 3000" ] ||
		fail "period/quota: $(cat "$dir/cpu.cfs_period_us") $(cat "$dir/cpu.cfs_quota_us")"
}
