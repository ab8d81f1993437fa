#!/bin/bash
# Run a command as root in a throwaway guest that has a pure cgroup v2
# hierarchy (every controller) and systemd 252 as PID 1 with a D-Bus system
# bus: Debian 12 under qemu-system-x86_64 with software emulation, so no KVM
# is needed. The image comes from tests/v2host/build.sh (cached).
#
#   tests/v2host/run.sh [-s DIR] [-t SECONDS] [-e VAR]... [--] COMMAND [ARG...]
#
#   -s DIR    share DIR (default: the current directory) into the guest at the
#             same path, read-write; the command starts in the current
#             directory when it is inside DIR, else in DIR
#   -t SECS   limit for the whole run, boot included (default 3300)
#   -e VAR    pass the environment variable VAR into the guest (repeatable)
#
# Output of the command comes back when the guest has ended, stdout on stdout
# and stderr on stderr. The exit status is the command's, 124 when the limit
# ran out, 125 when the guest ended without one. Writes to the guest disk are
# thrown away; only the shared directory keeps what the command writes.
# OCIRUN_GUEST_MEM (MiB, default 2048) and OCIRUN_GUEST_CPUS (default 2) size
# the guest; OCIRUN_GUEST_CONSOLE=FILE keeps its console log.
# OCIRUN_GUEST_CGROUP=hybrid has systemd mount the layout of cgroup v1 hosts
# (v1 controllers, cgroup2 at /sys/fs/cgroup/unified) instead of pure v2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
share=$PWD
limit=3300
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	-s) share=$2; shift 2 ;;
	-t) limit=$2; shift 2 ;;
	-e) envs+=("$2"); shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: $0 [-s DIR] [-t SECONDS] [-e VAR]... [--] COMMAND [ARG...]" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-s DIR] [-t SECONDS] [-e VAR]... [--] COMMAND [ARG...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "v2host: must run as root" >&2; exit 125; }

image=$("$here/build.sh") || exit 125

share=$(cd "$share" && pwd -P)
case $share in
/ | /proc* | /sys* | /dev* | /run*) echo "v2host: will not share $share" >&2; exit 125 ;;
*[[:space:],]*) echo "v2host: cannot share a path with spaces or commas: $share" >&2; exit 125 ;;
esac
cwd=$(pwd -P)
case $cwd/ in "$share"/*) ;; *) cwd=$share ;; esac

ctl=$(mktemp -d "${TMPDIR:-/tmp}/ocirun-guest.XXXXXX")
trap 'rm -rf "$ctl"' EXIT
echo "$share" >"$ctl/share"
{
	printf 'cd %q || exit 125\n' "$cwd"
	for v in "${envs[@]}"; do
		[ -z "${!v+set}" ] || printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$ctl/job"
: >"$ctl/stdout"
: >"$ctl/stderr"

# hugepages: a few 2 MiB huge pages for the hugetlb tests.
cgroup_args=
case ${OCIRUN_GUEST_CGROUP:-v2} in
v2) ;;
hybrid) cgroup_args="systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=0" ;;
*) echo "v2host: OCIRUN_GUEST_CGROUP is v2 or hybrid, not $OCIRUN_GUEST_CGROUP" >&2; exit 2 ;;
esac
rc=0
timeout -k 10 "$limit" qemu-system-x86_64 \
	-machine pc -accel tcg,thread=multi -cpu max \
	-smp "${OCIRUN_GUEST_CPUS:-2}" -m "${OCIRUN_GUEST_MEM:-2048}" \
	-nodefaults -no-user-config -display none -vga none -monitor none -no-reboot -nic none \
	-serial "file:$ctl/console" \
	-kernel "$image/vmlinuz" -initrd "$image/initrd" \
	-append "console=ttyS0 panic=-1 quiet hugepagesz=2M hugepages=16 systemd.show_status=0 $cgroup_args" \
	-drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on,cache=unsafe" \
	-virtfs "local,path=$ctl,mount_tag=ctl,security_model=passthrough,multidevs=remap" \
	-virtfs "local,path=$share,mount_tag=repo,security_model=passthrough,multidevs=remap" \
	</dev/null >"$ctl/qemu.log" 2>&1 || rc=$?

cat "$ctl/stdout"
cat "$ctl/stderr" >&2
[ -z "${OCIRUN_GUEST_CONSOLE:-}" ] || cp "$ctl/console" "$OCIRUN_GUEST_CONSOLE"
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "v2host: no result after ${limit}s; the guest console ended with:" >&2
	tail -n 20 "$ctl/console" >&2
	exit 124
fi
if ! [ -s "$ctl/status" ]; then
	echo "v2host: the guest ended without an exit status (qemu: $rc); console and qemu said:" >&2
	tail -n 30 "$ctl/console" "$ctl/qemu.log" >&2
	exit 125
fi
echo "v2host: guest booted in $(cat "$ctl/booted") s" >&2
exit "$(cat "$ctl/status")"
