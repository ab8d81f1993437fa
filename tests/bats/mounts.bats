#!/usr/bin/env bats
# Mounts as runc sets them up: /proc must be a plain directory, a read-only
# /dev, bind sources that lie in earlier mounts of the same container,
# atime flags and read-only sources of bind mounts.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
	if [ -n "${RO_SRC:-}" ]; then
		umount "$RO_SRC" 2>/dev/null || true
	fi
}

# add_bind SRC DEST [OPTION...]: a bind mount with rprivate and OPTIONs.
add_bind() {
	local src=$1 dst=$2 opts
	shift 2
	opts=$(printf '%s\n' bind rprivate "$@" | jq -R . | jq -s .)
	update_config ".mounts += [{source: \"$src\", destination: \"$dst\", type: \"bind\", options: $opts}]"
}

@test "mounts: a rootfs whose /proc is an absolute symlink is refused" {
	rm -rf "$BUNDLE/rootfs/proc"
	mkdir -p "$BUNDLE/rootfs/bad-proc"
	ln -sf /bad-proc "$BUNDLE/rootfs/proc"
	set_args "$BUNDLE" true
	ocirun run ct1
	expect_failure
	expect_output_contains 'must be mounted on (an )?ordinary directory'
	expect_nothing_left ct1
}

@test "mounts: a read-only /dev" {
	update_config '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)'
	set_args "$BUNDLE" grep '^tmpfs /dev ' /proc/mounts
	ocirun run ct1
	expect_status 0
	[[ "${lines[0]}" == *' ro,'* ]] || fail "/dev is not read-only: $output"
}

@test "mounts: a bind source inside an earlier mount of the container sees that mount" {
	local src=$BATS_TEST_TMPDIR/bind-src rootfs=$BUNDLE/rootfs
	mkdir -p "$src"/a/x "$src"/b/y "$src"/c/z "$rootfs"/final
	for d in a/x b/y c/z; do echo "$d" >"$src/$d/file"; done
	rm -rf "$rootfs/mnt" && mkdir "$rootfs/mnt"
	add_bind "$src/a" /mnt
	add_bind "$src/b" /mnt/x
	add_bind "$src/c" /mnt/x/y
	# Sources within the rootfs are read after the mounts before them.
	add_bind "$rootfs/mnt/x" /mnt/x/y/z rbind
	add_bind "$rootfs/mnt" /final rbind
	# /final is a, x in it b, y in that c; z in c is b again, with c on y.
	set_args "$BUNDLE" cat /final/x/y/z/y/z/file
	ocirun run ct1
	expect_status 0
	[ "$output" = c/z ] || fail "got: $output"
}

@test "mounts: atime flags on bind mounts" {
	local src=$BATS_TEST_TMPDIR/atime opt
	mkdir -p "$src"
	for opt in noatime strictatime relatime; do
		add_bind "$src" "/mnt/$opt" "$opt"
	done
	set_args "$BUNDLE" grep ' /mnt/' /proc/self/mounts
	ocirun run ct1
	expect_status 0
	local line
	# The options field: strictatime shows as neither noatime nor relatime.
	line=$(awk '$2 == "/mnt/noatime" {print $4}' <<<"$output") && [[ ,$line, == *,noatime,* ]] || fail "noatime: $output"
	line=$(awk '$2 == "/mnt/strictatime" {print $4}' <<<"$output") && [ -n "$line" ] && [[ $line != *atime* ]] || fail "strictatime: $output"
	line=$(awk '$2 == "/mnt/relatime" {print $4}' <<<"$output") && [[ ,$line, == *,relatime,* ]] || fail "relatime: $output"
}

@test "mounts: a bind mount of a read-only source without ro" {
	RO_SRC=$BATS_TEST_TMPDIR/ro-src
	mkdir -p "$RO_SRC"
	echo data >"$RO_SRC/file"
	mount --bind "$RO_SRC" "$RO_SRC"
	mount -o remount,bind,ro,nosuid,nodev "$RO_SRC"
	add_bind "$RO_SRC" /mnt/ro
	set_cmd 'cat /mnt/ro/file; grep " /mnt/ro " /proc/self/mounts; touch /mnt/ro/new 2>/dev/null && echo WRITABLE; true'
	ocirun run ct1
	expect_status 0
	grep -qx data <<<"$output" || fail "content: $output"
	grep -q ' /mnt/ro .* ro,' <<<"$output" || fail "mount: $output"
	! grep -q WRITABLE <<<"$output" || fail "the read-only source became writable"
}
