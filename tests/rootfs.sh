#!/bin/bash
# Build a minimal busybox root filesystem in OUT from Debian's busybox-static.
#
#   tests/rootfs.sh OUT
#
# Nothing is downloaded except the busybox-static Debian package (installed
# with apt-get when /bin/busybox is missing or is not a static binary).
# Re-running on an existing OUT refreshes it in place.
set -euo pipefail

out=${1:?usage: $0 OUT}

busybox_static_installed() {
	[ -x /bin/busybox ] &&
		dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
}

if ! busybox_static_installed; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "rootfs.sh: Debian's busybox-static is not installed; run as root or apt-get install busybox-static" >&2
		exit 1
	fi
	echo "rootfs.sh: installing busybox-static with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Try the package lists we have first; refresh them only if that fails.
	if ! apt-get install -y -q busybox-static </dev/null >/dev/null; then
		apt-get update -q </dev/null >/dev/null
		apt-get install -y -q busybox-static </dev/null >/dev/null
	fi
	busybox_static_installed || {
		echo "rootfs.sh: busybox-static did not install" >&2
		exit 1
	}
fi

mkdir -p "$out"
chmod 0755 "$out"
cd "$out"
mkdir -p bin sbin usr/bin usr/sbin etc root home tmp var/tmp run \
	proc sys dev dev/pts dev/shm dev/mqueue mnt
chmod 1777 tmp var/tmp
chmod 0700 root

install -m 0755 /bin/busybox bin/busybox
# The equivalent of `busybox --install -s`, but with relative links: the
# host's busybox would point them at its own path (/usr/bin/busybox on a
# merged-/usr system), which need not exist in the rootfs.
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -sfn busybox "bin/$applet"
done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
EOF
: >etc/hostname
echo '127.0.0.1 localhost' >etc/hosts
: >etc/resolv.conf
