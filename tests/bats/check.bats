#!/usr/bin/env bats
# ocirun check: a host doctor that tries things. Each item it can show both
# ways on this host is made to fail here, in a private mount namespace of
# the runtime's own (a wrapper around it), and must then be reported with
# its fix and the exit status 1 when containers need it.

load helpers

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "runc has no check command"
	setup_bundle
	REAL_OCIRUN=$OCIRUN
}

teardown() {
	OCIRUN=$REAL_OCIRUN
	teardown_containers
}

# in_own_cgroup CMD...: runs CMD in a new cgroup and fails if any process
# is left in it afterwards: check's probes do not move to other cgroups.
in_own_cgroup() {
	local h=/sys/fs/cgroup
	[ -d $h/pids ] && h=$h/pids
	local cg=$h/ocirun-test-check-$(test_tag) left
	mkdir "$cg"
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" || status=$?
	sleep 0.1
	left=$(cat "$cg/cgroup.procs")
	rmdir "$cg" 2>/dev/null
	[ -z "$left" ] || fail "processes left: $left"
}

# item_status GROUP NAME: the status of one item of the last --json report.
item_status() {
	jq -r --arg g "$1" --arg n "$2" '.items[] | select(.group == $g and .name == $n) | .status' <<<"$stdout"
}

# item_field GROUP NAME FIELD
item_field() {
	jq -r --arg g "$1" --arg n "$2" --arg f "$3" '.items[] | select(.group == $g and .name == $n) | .[$f]' <<<"$stdout"
}

@test "check: this host passes, quickly, and nothing is left behind" {
	local mounts_before cgroups_before
	mounts_before=$(wc -l </proc/self/mountinfo)
	cgroups_before=$(find /sys/fs/cgroup -name 'ocirun-check-*' | wc -l)
	local t0=$SECONDS
	ocirun check --json
	expect_status 0
	[ $((SECONDS - t0)) -le 10 ] || fail "check took $((SECONDS - t0))s"
	jq -e '.items | length > 20' <<<"$stdout" >/dev/null || fail "too few items"
	jq -e 'all(.items[]; .status == "ok" or .status == "degraded" or .status == "missing")' <<<"$stdout" >/dev/null ||
		fail "bad status"
	jq -e 'all(.items[]; .status == "ok" or (.detail | length > 0))' <<<"$stdout" >/dev/null ||
		fail "an item that is not ok has no reason"
	for t in mount pid network ipc uts cgroup; do
		[ "$(item_status namespaces "$t")" = ok ] || fail "namespace $t: $(item_field namespaces "$t" detail)"
	done
	[ "$(item_status cgroups create)" = ok ] || fail "cgroup create not ok"
	[ "$(item_status filesystems tmpfs)" = ok ] || fail "tmpfs not ok"
	[ "$(item_status security seccomp)" = ok ] || fail "seccomp not ok"
	[ "$(item_status helpers ocirun-init)" = ok ] || fail "ocirun-init not ok"
	[ "$(wc -l </proc/self/mountinfo)" -eq "$mounts_before" ] || fail "mounts changed"
	[ "$(find /sys/fs/cgroup -name 'ocirun-check-*' | wc -l)" -eq "$cgroups_before" ] || fail "a check cgroup is left"
	[ -z "$(ls -A "$ROOT")" ] || fail "state left under --root: $(ls -A "$ROOT")"
	status=0
	in_own_cgroup "$OCIRUN" --root "$ROOT" check >/dev/null
	expect_status 0

	ocirun check
	expect_status 0
	expect_output_contains '^[0-9]+ ok, [0-9]+ degraded, 0 missing$'
}

@test "check: a cgroup hierarchy that is not writable is missing, with the fix" {
	wrap_runtime_in_mountns 'for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do mount -o remount,bind,ro "$m"; done'
	ocirun check --json
	expect_status 1
	[ "$(item_status cgroups create)" = missing ] || fail "cgroup create: $(item_status cgroups create)"
	item_field cgroups create detail | grep -qi 'read-only file system' || fail "no cause"
	item_field cgroups create fix | grep -qi 'delegate' || fail "no fix"
}

@test "check: a missing subuid range is degraded, a present one ok" {
	local empty=$BATS_TEST_TMPDIR/empty ranges=$BATS_TEST_TMPDIR/ranges
	: >"$empty"
	echo "$(id -un):100000:65536" >"$ranges"
	wrap_runtime_in_mountns "mount --bind $empty /etc/subuid"
	ocirun check --json
	expect_status 0
	[ "$(item_status 'user ids' /etc/subuid)" = degraded ] || fail "subuid: $(item_status 'user ids' /etc/subuid)"
	item_field 'user ids' /etc/subuid fix | grep -q 'usermod --add-subuids' || fail "no fix"

	wrap_runtime_in_mountns "mount --bind $ranges /etc/subuid"
	ocirun check --json
	[ "$(item_status 'user ids' /etc/subuid)" = ok ] || fail "subuid: $(item_status 'user ids' /etc/subuid)"
	item_field 'user ids' /etc/subuid detail | grep -q '65536 ids' || fail "wrong count"
}

@test "check: a helper binary that is not installed is missing" {
	local dir=$BATS_TEST_TMPDIR/bin
	mkdir -p "$dir"
	cp "$REAL_OCIRUN" "$dir/ocirun"
	cp "$(dirname "$REAL_OCIRUN")/ocirun-init" "$dir/"
	OCIRUN=$dir/ocirun
	ocirun check --json
	expect_status 1
	[ "$(item_status helpers ocirun-exec)" = missing ] || fail "ocirun-exec: $(item_status helpers ocirun-exec)"
	[ "$(item_status helpers ocirun-init)" = ok ] || fail "ocirun-init: $(item_status helpers ocirun-init)"
}

@test "check: a read-only state root is missing" {
	local ro=$BATS_TEST_TMPDIR/ro
	mkdir -p "$ro"
	wrap_runtime_in_mountns "mount -t tmpfs -o ro tmpfs $ro"
	"$OCIRUN" --root "$ro/state" check --json >"$BATS_TEST_TMPDIR/out" && status=0 || status=$?
	stdout=$(cat "$BATS_TEST_TMPDIR/out")
	expect_status 1
	[ "$(item_status filesystems "state root $ro/state")" = missing ] || fail "state root not missing"
	item_field filesystems "state root $ro/state" detail | grep -q 'read-only' || fail "no cause"
}

@test "check --bundle: a good bundle passes and its rootfs is tried" {
	ocirun check --bundle "$BUNDLE" --json
	expect_status 0
	[ "$(item_status bundle config.json)" = ok ] || fail "config: $(item_field bundle config.json detail)"
	[ "$(item_status filesystems "pivot_root $BUNDLE/rootfs")" = ok ] || fail "pivot_root of the rootfs not ok"
	[ -z "$(ls -A "$ROOT")" ] || fail "state left under --root"
}

@test "check --bundle: an rlimit above the hard limit is missing" {
	local hard
	hard=$(ulimit -Hn)
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((hard + 1))}]"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	without_cap_sys_resource
	ocirun check --bundle "$BUNDLE" --json
	expect_status 1
	[ "$(item_status bundle config.json)" = missing ] || fail "not missing"
	item_field bundle config.json detail | grep -q "RLIMIT_NOFILE hard limit $((hard + 1)) is above the runtime's own hard limit $hard" || fail "wrong detail"
}

@test "check --bundle: every refused field is listed, not only the first" {
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	local nofile nproc
	nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
	[ "$nproc" != unlimited ] || skip "RLIMIT_NPROC hard limit is unlimited"
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((nofile + 1))},
		{\"type\": \"RLIMIT_NPROC\", \"soft\": 10, \"hard\": $((nproc + 1))}]"
	without_cap_sys_resource
	ocirun check --bundle "$BUNDLE" --json
	expect_status 1
	jq -r '.items[] | select(.group == "bundle" and .status == "missing") | .detail' <<<"$stdout" >"$BATS_TEST_TMPDIR/refused"
	cat "$BATS_TEST_TMPDIR/refused"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/refused")" -eq 2 ] || fail "expected 2 refused fields"
	grep -q '^process.rlimits\[0\]: RLIMIT_NOFILE' "$BATS_TEST_TMPDIR/refused" || fail "rlimits[0] not named"
	grep -q '^process.rlimits\[1\]: RLIMIT_NPROC' "$BATS_TEST_TMPDIR/refused" || fail "rlimits[1] not named"
}

@test "check --bundle: a sysctl that is not namespaced is missing" {
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	ocirun check --bundle "$BUNDLE" --json
	expect_status 1
	[ "$(item_status bundle config.json)" = missing ] || fail "not missing"
	item_field bundle config.json detail | grep -q 'vm.swappiness' || fail "field not named"
}

@test "check --bundle: a capability the host cannot grant is degraded" {
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	update_config '.process.capabilities.bounding += ["CAP_SYS_TIME"]'
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-without-sys-time
	printf '#!/bin/bash\nexec setpriv --bounding-set -sys_time %q "$@"\n' "$REAL_OCIRUN" >"$OCIRUN"
	chmod +x "$OCIRUN"
	ocirun check --bundle "$BUNDLE" --json
	expect_status 0
	jq -e '.items[] | select(.group == "bundle" and .status == "degraded" and (.detail | test("CAP_SYS_TIME")))' <<<"$stdout" >/dev/null ||
		fail "CAP_SYS_TIME not reported as degraded"
}
