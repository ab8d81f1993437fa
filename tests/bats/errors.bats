#!/usr/bin/env bats
# Errors users meet most: the last line (the one engines show) names the
# cause and the fix. Each test asserts that exact line and that nothing is
# left behind.

load helpers

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "the messages are ocirun's"
	setup_bundle
	REAL_OCIRUN=$OCIRUN
}

teardown() {
	OCIRUN=$REAL_OCIRUN
	teardown_containers
}

last_line() {
	grep -v '^[[:space:]]*$' <<<"$stderr" | tail -1
}

expect_last_line() {
	expect_failure
	[ "$(last_line)" = "$1" ] || fail "last line: $(last_line)
expected:  $1"
}

# copy_runtime DIR: the runtime's binaries in DIR, for a runtime that runs
# where the repository is out of its reach.
copy_runtime() {
	local bin
	bin=$(dirname "$REAL_OCIRUN")
	mkdir -p "$1"
	cp "$REAL_OCIRUN" "$bin/ocirun-init" "$bin/ocirun-exec" "$1/"
}

# on_initial_ramfs: later calls of the runtime run with the kernel's initial
# ramfs as their root directory, as on a machine booted into an initramfs
# (tests/cmd/ramfsroot). They run a copy of the runtime from the test's
# directory, which the ramfs shows at $RAMFS_DIR; arguments that are paths
# into the test's directory are rewritten to lead there. Skipped where the
# ramfs has no /proc, /sys or /dev for the host's.
on_initial_ramfs() {
	requires_root "a mount namespace whose root is the initial ramfs"
	local prog dir=$BATS_TEST_TMPDIR err
	prog=$(test_program ramfsroot) || return 1
	copy_runtime "$dir/bin"
	RAMFS_DIR=/ramfsroot.$(tr / - <<<"${dir#/}")
	err=$("$prog" "$dir" "$RAMFS_DIR/bin/ocirun" --version 2>&1) ||
		{ [ $? -ne 3 ] || skip "$err"; fail "$err"; return 1; }
	OCIRUN=$dir/ocirun-on-ramfs
	printf '#!/bin/bash\ndir=%q ramfs=%q\nexec %q "$dir" "$ramfs/bin/ocirun" "${@/#"$dir"/"$ramfs"}"\n' \
		"$dir" "$RAMFS_DIR" "$prog" >"$OCIRUN"
	chmod +x "$OCIRUN"
}

@test "error: a read-only state root names --root" {
	local ro=$BATS_TEST_TMPDIR/ro
	mkdir -p "$ro"
	wrap_runtime_in_mountns "mount -t tmpfs -o ro tmpfs $ro"
	"$OCIRUN" --root "$ro/state" create ct1 >/dev/null 2>"$BATS_TEST_TMPDIR/err" && status=0 || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	expect_last_line "ocirun: create state root $ro/state: mkdir $ro/state: read-only file system: the state root $ro/state is on a read-only filesystem; use a state root on a writable one (--root DIR)"
}

@test "error: an rlimit above the runtime's hard limit" {
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	without_cap_sys_resource
	local hard
	hard=$(ulimit -Hn)
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": $((hard + 1))}]"
	ocirun create ct1
	expect_last_line "ocirun: process.rlimits[0]: RLIMIT_NOFILE hard limit $((hard + 1)) is above the runtime's own hard limit $hard and the runtime lacks CAP_SYS_RESOURCE to raise it; lower it in config.json to at most that, or start the runtime with a higher hard limit"
	expect_nothing_left ct1
}

@test "error: seccomp notify without a listener path" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"}]}'
	ocirun create ct1
	expect_last_line "ocirun: $BUNDLE/config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY: set it to the unix socket of the seccomp agent that will handle those system calls"
	expect_nothing_left ct1
}

@test "error: limits on a cgroup that is not writable" {
	wrap_runtime_in_mountns 'for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do mount -o remount,bind,ro "$m"; done'
	update_config ".linux.resources.pids = {\"limit\": 100} | .linux.cgroupsPath = \"ocirun-ro-$(test_tag)\""
	ocirun create ct1
	# The directory create makes: below the caller's
	# cgroup in the first v1 hierarchy (blkio), or below its parent on v2.
	local own dir
	own=$(sed -n 's/^[0-9]*:blkio://p' /proc/self/cgroup)
	if [ -n "$own" ]; then
		dir=/sys/fs/cgroup/blkio${own%/}/ocirun-ro-$(test_tag)
	else
		own=$(dirname "$(sed -n 's/^0:://p' /proc/self/cgroup)")
		dir=/sys/fs/cgroup${own%/}/ocirun-ro-$(test_tag)
	fi
	expect_last_line "ocirun: create cgroup $dir: mkdir $dir: read-only file system: $(dirname "$dir") is not delegated to the runtime; delegate it to the runtime's user (systemd: Delegate=yes) or mount the cgroup hierarchy read-write"
	expect_nothing_left ct1
}

@test "error: a runtime chrooted into a plain directory" {
	# Nothing can change the propagation of a root directory that is not a
	# mount point, so create fails before it gets to pivot_root.
	local new=$BATS_TEST_TMPDIR/newroot
	mkdir -p "$new/proc" "$new/sys" "$new/dev" "$new/tmp" "$new/state"
	copy_runtime "$new/bin"
	cp -a "$BUNDLE" "$new/bundle"
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-chrooted
	printf '#!/bin/bash\nexec unshare -m --propagation private bash -ec %q ocirun "$@"\n' \
		"mount --rbind /proc $new/proc; mount --rbind /sys $new/sys; mount --rbind /dev $new/dev"$'\nexec chroot '"$new"' /bin/ocirun --root /state "$@"' >"$OCIRUN"
	chmod +x "$OCIRUN"
	"$OCIRUN" create --bundle /bundle ct1 >/dev/null 2>"$BATS_TEST_TMPDIR/err" && status=0 || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	expect_last_line "ocirun: set the propagation of / to MS_REC|MS_SLAVE: invalid argument: the runtime's root directory is not a mount point (a chroot); bind-mount that directory on itself before entering it"
	[ -z "$(ls -A "$new/state")" ] || fail "state left: $(ls -A "$new/state")"
}

@test "error: pivot_root on the initial ramfs names --no-pivot" {
	on_initial_ramfs
	set_cmd 'echo ran >/marker'
	ocirun create --bundle "$BUNDLE" ct1
	expect_last_line "ocirun: pivot_root to $RAMFS_DIR/bundle/rootfs: invalid argument: the runtime's root directory is the initial ramfs, and pivot_root cannot move it; create the container without pivot_root (--no-pivot)"
	expect_nothing_left ct1
	expect_no_cgroup
	ocirun run --no-pivot --bundle "$BUNDLE" ct1
	expect_status 0
	[ "$(cat "$BUNDLE/rootfs/marker")" = ran ] || fail "the container did not run"
	expect_nothing_left ct1
	expect_no_cgroup
}

# host_netns_in_userns: the bundle's container has a user namespace of its
# own and joins the runtime's network namespace by path, which its user
# namespace does not own, so it may not mount sysfs itself.
host_netns_in_userns() {
	requires_root "joining the host's network namespace"
	add_userns
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/'$$'/ns/net" else . end)'
}

@test "sysfs in a user namespace with the host's network namespace: the host's /sys" {
	host_netns_in_userns
	set_cmd 'ls /sys/class/net'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "$(ls /sys/class/net)" ] || fail "the container's /sys/class/net is not the runtime's: $stdout"
	expect_nothing_left ct1
}

@test "error: sysfs in a user namespace, and the host's /sys no sysfs to bind" {
	host_netns_in_userns
	# The runtime's /sys is a tmpfs with the cgroup hierarchies moved into
	# it; its sysfs stays in its namespace elsewhere, fully visible, which a
	# user namespace needs to mount a sysfs of its own.
	local sys=$BATS_TEST_TMPDIR/sys cg=$BATS_TEST_TMPDIR/cgroup
	mkdir "$sys" "$cg"
	wrap_runtime_in_mountns "mount --bind /sys $sys; mount --move /sys/fs/cgroup $cg
		mount -t tmpfs tmpfs /sys; mkdir -p /sys/fs/cgroup; mount --move $cg /sys/fs/cgroup"
	ocirun create ct1
	expect_last_line "ocirun: mount \"sysfs\" on /sys: operation not permitted: a user namespace may mount sysfs only in network namespaces it owns, and binding the host's /sys instead failed: /sys is not a sysfs; give the container its own network namespace (a \"network\" entry in linux.namespaces without a path)"
	expect_nothing_left ct1
	expect_no_cgroup
	# The fix works.
	update_config '.linux.namespaces |= map(if .type == "network" then del(.path) else . end)'
	set_cmd 'ls /sys/class/net'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = lo ] || fail "the container's own network namespace has: $stdout"
	expect_nothing_left ct1
}
