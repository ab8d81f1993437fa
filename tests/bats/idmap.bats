#!/usr/bin/env bats
# Id-mapped mounts (idmap, ridmap, mounts[].uidMappings/gidMappings): the
# runtime maps each tree on the host and the init moves it into place.

load helpers

setup() {
	setup_bundle
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	# The mount points exist: the root of a user namespace cannot create
	# them in a rootfs owned by the host's root.
	mkdir -p "$BUNDLE/rootfs/data" "$BUNDLE/rootfs/top"
	count_mounts
}

teardown() {
	teardown_containers
	local m
	for m in "$SRC/sub" "$SRC" "$BATS_TEST_TMPDIR/ovl"; do
		! mountpoint -q "$m" || umount "$m"
	done
}

# need_ext4 DIR: skip unless DIR is on ext4 (stat -f says ext2/ext3 for it).
need_ext4() {
	[ "$(stat -f -c %T "$1")" = ext2/ext3 ] || skip "$1 is not on ext4 but on $(stat -f -c %T "$1")"
}

# add_idmap_mount OPTIONS-JSON [EXTRA-JQ]: bind $SRC on /data, id-mapped.
add_idmap_mount() {
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$SRC"'", "options": '"$1"'} '"${2:-}"']'
}

# count_mounts: the mounts of this test before the container, for
# expect_no_leak (call it again after the test's own mounts).
count_mounts() {
	MOUNTS_BEFORE=$(wc -l </proc/self/mountinfo)
}

# expect_no_leak: the container is gone, and no mount and no process (no
# user namespace holder) outlived it.
expect_no_leak() {
	expect_nothing_left "${1:-}" || return 1
	local now
	now=$(wc -l </proc/self/mountinfo)
	[ "$now" -eq "$MOUNTS_BEFORE" ] || fail "mounts: $MOUNTS_BEFORE before, $now after" || return 1
}

# owner FILE: uid:gid of FILE as the host sees it.
owner() {
	stat -c %u:%g "$1"
}

@test "idmap on ext4 with the container's user namespace maps: owners inside and on the host" {
	need_ext4 "$SRC"
	add_userns 100000
	touch "$SRC/rootfile"
	touch "$SRC/userfile" && chown 1000:1000 "$SRC/userfile"
	add_idmap_mount '["bind", "idmap"]'
	set_cmd 'stat -c "%u:%g %n" /data/rootfile /data/userfile && touch /data/made && echo fds $(ls /proc/self/fd)'
	ocirun run ct1
	expect_status 0
	# No mount fd reached the process: stdio, and ls's own directory.
	expect_output_contains '^fds 0 1 2 3$'
	expect_output_contains '^0:0 /data/rootfile'
	expect_output_contains '^1000:1000 /data/userfile'
	# Created by the container's root (host uid 100000), stored through the
	# mapping as 0.
	[ "$(owner "$SRC/made")" = 0:0 ] || fail "host sees /data/made as $(owner "$SRC/made")"
	expect_no_leak ct1
}

@test "idmap on ext4 without a user namespace: the mount's own maps" {
	need_ext4 "$SRC"
	# The directory itself appears as owned by the container's root.
	chown 1000:1000 "$SRC"
	touch "$SRC/userfile" && chown 1000:1000 "$SRC/userfile"
	touch "$SRC/rootfile"
	add_idmap_mount '["bind", "idmap"], "uidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}], "gidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}]'
	set_cmd 'stat -c "%u:%g %n" /data/userfile /data/rootfile && touch /data/made'
	ocirun run ct1
	expect_status 0
	expect_output_contains '^0:0 /data/userfile'
	# Uid 0 on disk is outside the mount's maps.
	expect_output_contains '^65534:65534 /data/rootfile'
	[ "$(owner "$SRC/made")" = 1000:1000 ] || fail "host sees /data/made as $(owner "$SRC/made")"
	expect_no_leak ct1
}

@test "idmap without a user namespace and without maps of its own is refused" {
	add_idmap_mount '["bind", "idmap"]'
	ocirun run ct1
	expect_failure
	expect_output_contains 'mounts\[[0-9]+\]\.options: an id-mapped mount needs uidMappings and gidMappings of its own: the container has no user namespace'
	expect_no_leak ct1
}

@test "idmap on tmpfs, with maps of its own inside a user namespace" {
	mount -t tmpfs -o mode=0755 tmpfs "$SRC"
	count_mounts
	touch "$SRC/rootfile"
	add_userns 100000
	# On-disk 0 appears as 100000, which is the container's root.
	add_idmap_mount '["bind", "idmap"], "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_cmd 'stat -c "%u:%g %n" /data/rootfile && mkdir /data/dir && grep " /data " /proc/self/mountinfo'
	ocirun run ct1
	expect_status 0
	expect_output_contains '^0:0 /data/rootfile'
	expect_output_contains ' /data .* - tmpfs '
	[ "$(owner "$SRC/dir")" = 0:0 ] || fail "host sees /data/dir as $(owner "$SRC/dir")"
	expect_no_leak ct1
}

@test "ridmap maps a submount too; idmap with rbind maps only the top" {
	need_ext4 "$SRC"
	mkdir "$SRC/sub"
	mount -t tmpfs -o mode=0755 tmpfs "$SRC/sub"
	count_mounts
	touch "$SRC/sub/rootfile"
	add_userns 100000
	add_idmap_mount '["rbind", "ridmap"]'
	update_config '.mounts += [{"destination": "/top", "type": "bind", "source": "'"$SRC"'", "options": ["rbind", "idmap"]}]'
	set_cmd 'stat -c "%u %n" /data/sub/rootfile /top/sub/rootfile; touch /data/sub/made'
	ocirun run ct1
	expect_status 0
	expect_output_contains '^0 /data/sub/rootfile'
	# Not mapped: host uid 0 is outside the container's user namespace.
	expect_output_contains '^65534 /top/sub/rootfile'
	[ "$(owner "$SRC/sub/made")" = 0:0 ] || fail "host sees sub/made as $(owner "$SRC/sub/made")"
	expect_no_leak ct1
}

@test "idmap with ro: the moved mount is read-only" {
	need_ext4 "$SRC"
	add_userns 100000
	add_idmap_mount '["bind", "idmap", "ro"]'
	set_cmd 'touch /data/made'
	ocirun run ct1
	[ "$status" -ne 0 ] || fail "wrote to a read-only id-mapped mount"
	expect_output_contains 'read-only file system'
	[ ! -e "$SRC/made" ] || fail "file created"
	expect_no_leak ct1
}

@test "an overlay mount as the id-mapped source fails with a clear error" {
	local o=$BATS_TEST_TMPDIR/ovl
	mkdir -p "$o" "$BATS_TEST_TMPDIR"/{lower,upper,work}
	mount -t overlay overlay -o "lowerdir=$BATS_TEST_TMPDIR/lower,upperdir=$BATS_TEST_TMPDIR/upper,workdir=$BATS_TEST_TMPDIR/work" "$o"
	count_mounts
	add_userns 100000
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$o"'", "options": ["bind", "idmap"]}]'
	ocirun run ct1
	# Overlayfs does not set FS_ALLOW_IDMAP (it supports id-mapped layers,
	# not being id-mapped itself): mount_setattr says EINVAL.
	expect_failure
	if [ "$OCIRUN_NAME" != runc ]; then
		# The whole last line, which is what engines show.
		local want="ocirun: id-mapped mount mounts[$(jq '.mounts | length - 1' "$BUNDLE/config.json")] ($o on /data): mount_setattr(MOUNT_ATTR_IDMAP): invalid argument: the filesystem of the source (or of a mount under it) may not support id-mapped mounts; use a source on a filesystem that does (ocirun check --bundle tries them) or remove the \"idmap\" option"
		[ "${lines[-1]}" = "$want" ] || fail "last line: ${lines[-1]}
expected:  $want"
	fi
	expect_no_leak ct1
}

@test "an overlay over an id-mapped lower directory shows the mapped owners" {
	need_ext4 "$SRC"
	chown 1000:1000 "$SRC"
	touch "$SRC/userfile" && chown 1000:1000 "$SRC/userfile"
	mkdir -p "$BATS_TEST_TMPDIR"/{upper,work} "$BUNDLE/rootfs/merged"
	add_idmap_mount '["bind", "idmap"], "uidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}], "gidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}]'
	# The init mounts before it switches root: lowerdir is the id-mapped
	# mount it has just made in the rootfs.
	update_config '.mounts += [{"destination": "/merged", "type": "overlay", "source": "overlay",
		"options": ["lowerdir='"$BUNDLE"'/rootfs/data", "upperdir='"$BATS_TEST_TMPDIR"'/upper", "workdir='"$BATS_TEST_TMPDIR"'/work"]}]'
	set_cmd 'stat -c "%u:%g %n" /merged/userfile'
	ocirun run ct1
	expect_status 0
	expect_output_contains '^0:0 /merged/userfile'
	expect_no_leak ct1
}

@test "features reports id-mapped mounts" {
	ocirun features
	expect_status 0
	[ "$(jq -r '.linux.mountExtensions.idmap.enabled' <<<"$stdout")" = true ] || fail "idmap not enabled in features"
	jq -e '.mountOptions | index("idmap") and index("ridmap")' <<<"$stdout" >/dev/null || fail "idmap/ridmap not listed as mount options"
}
