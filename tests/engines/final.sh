# shellcheck shell=bash
# Runs last: after every engine cleaned up after its scenarios, nothing the
# runtime manages may be left: no container state in any runtime root, no
# process outside the engines' daemons; and what the engines keep in
# /dev/shm (podman's libpod_lock) must be on the suite's own tmpfs, which
# goes with its mount namespace (run.sh also compares the host's /dev/shm
# before and after).

final_no_leftovers() {
	local root left=0 d procs
	for root in /run/ocirun /run/runc "$S"/ctd/rtroot/* /run/containerd/runc/*; do
		[[ -d "$root" ]] || continue
		ids=$(rt --root "$root" list -q 2>&1) || fail "list in $root: $ids"
		if [[ -n "$ids" ]]; then
			echo "containers left in $root: $ids" >&2
			left=1
		fi
	done
	# Processes in any cgroup but the root one (where the runner and
	# containerd are) belong to a container, a shim or a monitor.
	while IFS= read -r d; do
		procs=$(cat "$d/cgroup.procs")
		[[ -z "$procs" ]] && continue
		echo "processes left in ${d#/sys/fs/cgroup/pids}:" >&2
		local p
		for p in $procs; do
			echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
		done
		left=1
	done < <(find /sys/fs/cgroup/pids -mindepth 1 -type d)
	echo "cgroup directories at the end (engines keep their parents):"
	find /sys/fs/cgroup/pids -mindepth 1 -type d | sed 's|^/sys/fs/cgroup/pids|  |'
	# inner.sh mounts it (source "engines-shm") over the host's, so it is the
	# last /dev/shm in the mount table.
	if [[ "$(findmnt -n -o SOURCE --mountpoint /dev/shm | tail -n 1)" != engines-shm ]]; then
		echo "/dev/shm is not the suite's own tmpfs: what the engines leave there ($(ls -A /dev/shm | tr '\n' ' ')) outlives the run" >&2
		left=1
	else
		echo "in the suite's own /dev/shm: $(ls -A /dev/shm | tr '\n' ' ')"
	fi
	[[ $left == 0 ]] || fail "leftovers (see above)"
	echo "ok: no containers, no processes left, /dev/shm private"
}

if declare -F register >/dev/null; then
	register final/no-leftovers final_no_leftovers
fi
