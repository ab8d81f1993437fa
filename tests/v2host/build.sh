#!/bin/bash
# Build, once per machine, the disk image of a Debian 12 guest that has a pure
# cgroup v2 hierarchy and systemd as PID 1: tests/v2host/run.sh boots it under
# qemu to run tests where production runs, on a host that has neither.
#
#   tests/v2host/build.sh        print the image directory, building it first
#                                when the cache has none for this definition
#
# The image is made only from Debian's archive: debootstrap of bookworm with
# the packages in guest/packages, Debian's kernel (linux-image-amd64) and a
# busybox initramfs holding the few modules the root disk needs. It lives in
# $OCIRUN_GUEST_CACHE (default /var/tmp/ocirun-guest) under a key derived from
# this script and guest/, so changing either builds a new image and unchanged
# definitions reuse the cached one. Concurrent callers wait on a lock; only
# one builds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${OCIRUN_GUEST_CACHE:-/var/tmp/ocirun-guest}
mirror=${OCIRUN_GUEST_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

log() { echo "v2host build: $*" >&2; }
die() {
	log "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"

# The host tools, from Debian's packages when missing.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v flock >/dev/null || need+=(util-linux)
command -v cpio >/dev/null || need+=(cpio)
command -v modprobe >/dev/null || need+=(kmod)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q </dev/null >&2
	apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null >&2
fi

key=$(cat "$0" "$here"/guest/* | sha256sum | cut -c1-16)
image=$cache/$key
if [ -f "$image/ready" ]; then
	echo "$image"
	exit 0
fi

mkdir -p "$cache"
exec 8>"$cache/lock"
flock 8
if [ -f "$image/ready" ]; then
	echo "$image"
	exit 0
fi
# Left by a build that was killed (nobody else can be building: we hold the
# lock). debootstrap mounts /proc and /sys in its target while it runs; a
# killed one can leave them, and those must not be removed recursively.
remove_unmounted() {
	if grep -qF " $1/" /proc/self/mountinfo; then
		log "something below $1 is still mounted; not removing it (unmount it, then remove it)"
		return 1
	fi
	rm -rf "$1"
}
for old in "$cache"/tmp.*; do
	[ ! -e "$old" ] || remove_unmounted "$old" || exit 1
done
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'remove_unmounted "$work"' EXIT
root=$work/root
start=$SECONDS

packages=$(grep -v '^#' "$here/guest/packages" | paste -sd, -)
log "debootstrap $suite into $work (a few minutes, once per guest definition)"
if ! nice debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
	>"$work/debootstrap.log" 2>&1; then
	cp "$work/debootstrap.log" "$cache/failed-build.log"
	cp "$root/debootstrap/debootstrap.log" "$cache/failed-debootstrap.log" 2>/dev/null || true
	tail -n 30 "$work/debootstrap.log" >&2
	die "debootstrap failed (logs: $cache/failed-*.log)"
fi
t_debootstrap=$((SECONDS - start))

# The engines, with apt-get inside the new root. policy-rc.d keeps their
# postinst scripts from starting services; /proc is mounted in a private
# mount namespace, so it goes away with the command.
printf "#!/bin/sh\nexit 101\n" >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
extra=$(grep -v "^#" "$here/guest/packages.apt" | paste -sd" " -)
# shellcheck disable=SC2086 # one word per package
if ! nice unshare -m --propagation private sh -ec '
	mount -t proc proc "$1/proc"
	chroot "$1" apt-get update -q
	DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get install -y -q --no-install-recommends $2
	chroot "$1" apt-get clean' sh "$root" "$extra" </dev/null >"$work/apt.log" 2>&1; then
	cp "$work/apt.log" "$cache/failed-build.log"
	tail -n 30 "$work/apt.log" >&2
	die "apt-get install in the guest root failed (log: $cache/failed-build.log)"
fi
rm -f "$root/usr/sbin/policy-rc.d" "$root"/var/lib/apt/lists/*_Packages
t_apt=$((SECONDS - start - t_debootstrap))

# Debian's current kernel, as this host's package lists name it.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
	apt-get update -q </dev/null >&2
	kpkg=$(kernel_pkg)
fi
[ -n "$kpkg" ] || die "apt-cache does not resolve linux-image-amd64 to a kernel package"
kver=${kpkg#linux-image-}
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" </dev/null >&2) ||
	die "apt-get download $kpkg failed"
dpkg-deb -x "$work/${kpkg}"_*.deb "$work/kernel"
rm -f "$work"/*.deb
kmods=$work/kernel/lib/modules/$kver
[ -d "$kmods" ] || kmods=$work/kernel/usr/lib/modules/$kver
[ -d "$kmods" ] || die "$kpkg holds no modules for $kver"
mkdir -p "$root/usr/lib/modules"
cp -a "$kmods" "$root/usr/lib/modules/$kver"
depmod -b "$root" "$kver"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
rm -rf "$work/kernel"

# The initramfs: busybox, and the modules for virtio disks, ext4 and 9p in
# the order modprobe would load them.
initrd=$work/initrd.d
mkdir -p "$initrd/bin" "$initrd/modules"
cp "$root/bin/busybox" "$initrd/bin/busybox"
cp "$here/guest/initrd-init" "$initrd/init"
modprobe -d "$root" -S "$kver" --show-depends -a virtio_pci virtio_blk ext4 9pnet_virtio 9p |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	cp "$ko" "$initrd/modules/"
	basename "$ko"
done >"$initrd/modules/order"
[ -s "$initrd/modules/order" ] || die "no modules found for the initramfs"
(cd "$initrd" && find . | cpio -o -H newc --quiet) >"$work/initrd"
rm -rf "$initrd"

# The guest's configuration.
install -m 0755 "$here/guest/ocirun-guest-job" "$root/usr/local/sbin/ocirun-guest-job"
install -m 0644 "$here/guest/ocirun-guest-job.service" "$root/etc/systemd/system/"
ln -sf ../ocirun-guest-job.service "$root/etc/systemd/system/multi-user.target.wants/"
grep -v '^#' "$here/guest/masked-units" | while read -r unit; do
	ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/guest.conf"
echo ocirun-guest >"$root/etc/hostname"
: >"$root/etc/fstab"
# Drop the package caches and docs; the image is copied on write per run.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/*

# An ext4 image filled from the tree (mkfs -d needs no loop mount), sparse.
nice mkfs.ext4 -q -F -L guestroot -d "$root" "$work/rootfs.img" 8G
rm -rf "$root"
echo "$kver" >"$work/kernel-version"
echo "built $(date -u +%FT%TZ) in $((SECONDS - start)) s (debootstrap ${t_debootstrap} s, engines ${t_apt} s); kernel $kver" \
	>"$work/ready"
mv "$work" "$image"
trap - EXIT
log "$(cat "$image/ready")"
echo "$image"
