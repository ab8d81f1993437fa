#!/bin/bash
# Where the time of `run` goes: phase breakdown from kernel tracepoints,
# and (with --cpu) a CPU profile of ocirun's two processes.
#
#   bash bench/profile.sh [--cpu] [RUNTIME...]     (root; default runtime: ./ocirun)
#
# Same setup as bench.sh: busybox bundle running /bin/true, relative
# cgroupsPath, one private mount namespace with the cgroup2 mount at
# /sys/fs/cgroup/unified masked. BENCH_N runs per runtime (20).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
REPO=$(dirname "$HERE")
N=${BENCH_N:-20}
CGPARENT=ocirun-bench
TRACEPOINTS=sched:sched_process_exec,sched:sched_process_fork,sched:sched_process_exit,syscalls:sys_enter_bind,syscalls:sys_exit_unshare,syscalls:sys_enter_mount,syscalls:sys_enter_pivot_root,syscalls:sys_enter_sethostname,syscalls:sys_enter_connect,cgroup:cgroup_mkdir,cgroup:cgroup_attach_task

die() {
	printf 'profile: %s\n' "$*" >&2
	exit 1
}

# Runs inside the private mount namespace.
inner() {
	local T=$1 cpu=$2
	shift 2
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o size=4m,mode=0755 ocirun-bench /sys/fs/cgroup/unified
	fi
	local rt name i
	for rt in "$@"; do
		name=$(basename "$rt")
		mkdir -p "$T/root-$name"
		for ((i = 0; i < 3; i++)); do "$rt" --root "$T/root-$name" run --bundle "$T/b" prof </dev/null >/dev/null; done
		perf record -q -o "$T/tp.$name.data" -e "$TRACEPOINTS" -- \
			bash -c 'for ((i = 0; i < $1; i++)); do "$2" --root "$3" run --bundle "$4" prof </dev/null >/dev/null; done' \
			_ "$N" "$rt" "$T/root-$name" "$T/b" 2>/dev/null
		python3 "$HERE/phases.py" "$T/tp.$name.data" "$rt"
		echo
	done
	if [ "$cpu" = 1 ]; then
		rt=$1
		perf record -q -g -F 5000 -o "$T/cpu.data" -- \
			bash -c 'for ((i = 0; i < $1; i++)); do "$2" --root "$3" run --bundle "$4" prof </dev/null >/dev/null; done' \
			_ "$N" "$rt" "$T/root-$(basename "$rt")" "$T/b" 2>/dev/null
		echo "== CPU: the runtime process (ocirun run)"
		python3 "$HERE/cpuprof.py" "$T/cpu.data" "$rt" ocirun 45
		echo
		echo "== CPU: the container init (comm = its fd number)"
		local comm
		comm=$(perf report -i "$T/cpu.data" --stdio --no-children -g none --sort comm 2>/dev/null |
			awk '$1 ~ /%$/ && $2 ~ /^[0-9]+$/ {print $2; exit}')
		# ocirun's init is its own binary, next to ocirun.
		local initbin="$rt"
		[ -x "$(dirname "$rt")/ocirun-init" ] && initbin="$(dirname "$rt")/ocirun-init"
		[ -n "$comm" ] && python3 "$HERE/cpuprof.py" "$T/cpu.data" "$initbin" "$comm" 45
	fi
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	command -v perf >/dev/null || {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf </dev/null >/dev/null || die "install linux-perf"
	}
	local cpu=0
	if [ "${1:-}" = --cpu ]; then
		cpu=1
		shift
	fi
	local -a rts=("$@")
	if [ ${#rts[@]} -eq 0 ]; then
		make -C "$REPO" build >&2
		rts=("$REPO/ocirun")
	fi
	T=$(mktemp -d /tmp/ocirun-profile.XXXXXX)
	trap 'cleanup' EXIT
	"$REPO/tests/rootfs.sh" "$T/rootfs" >&2
	"${rts[0]}" spec --bundle "$T" 2>/dev/null || "$REPO/ocirun" spec --bundle "$T"
	mkdir -p "$T/b"
	jq --arg root "$T/rootfs" --arg cg "$CGPARENT/prof" \
		'.ociVersion = "1.1.0" | .process.terminal = false | .process.args = ["/bin/true"] | .root.path = $root | .linux.cgroupsPath = $cg' \
		"$T/config.json" >"$T/b/config.json"
	unshare -m --propagation private bash "$SELF" __inner "$T" "$cpu" "${rts[@]}"
}

cleanup() {
	local d
	# Every run deletes its container; only the parent cgroups are left.
	while read -r d; do rmdir "$d" 2>/dev/null || true; done \
		< <(find /sys/fs/cgroup -maxdepth 8 -depth -type d -name "$CGPARENT" 2>/dev/null)
	if grep -qF " $T" /proc/self/mountinfo; then
		printf 'profile: something under %s is still mounted; not removing it\n' "$T" >&2
	else
		rm -rf "$T"
	fi
}

case ${1:-} in
__inner)
	shift
	inner "$@"
	;;
*) main "$@" ;;
esac
