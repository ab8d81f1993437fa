#!/bin/bash
# Engine scenarios in the cgroup v2 + systemd guest, TAP on stdout, details
# on stderr: containerd (runc v2 shim, through ctr) and podman (conmon) drive
# $OCIRUN with each cgroup driver:
#
#   systemd   containerd: the shim's SystemdCgroup option (ctr
#             --runc-systemd-cgroup) and a "slice:prefix:name" cgroupsPath;
#             podman: cgroup_manager = "systemd" in containers.conf
#   cgroupfs  the same scenarios with plain cgroup directories
#
# Each scenario runs a container with a memory and a pids limit, checks them
# in the container's cgroup (and in the scope unit with systemd), execs into
# it, stops and removes it, and checks that the cgroup and unit are gone.
# The systemd scenarios are skipped for a runtime whose `features` does not
# report the systemd driver. Run by in-guest.sh with $OCIRUN and
# $OCIRUN_TEST_ROOTFS set.
set -uo pipefail

RT=${OCIRUN:?}
ROOTFS=${OCIRUN_TEST_ROOTFS:?}
MEM=67108864
PIDS=64
n=0

log() { echo "$*" >&2; }
# check WHAT EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then
		log "  ok: $1 = $3"
	else
		log "  FAIL: $1: expected '$2', got '$3'"
		return 1
	fi
}
# run_logged CMD...: the command's output on stderr; its status returned.
run_logged() {
	log "  \$ $*"
	"$@" >&2
}
# wait_until SECONDS CMD...
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}
cgroup_of() { echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"; }

systemd_driver() {
	[ "$(basename "$RT")" = runc ] && return 0
	[ "$("$RT" features 2>/dev/null | jq -r '.linux.cgroup.systemd // false')" = true ]
}

scenario() { # scenario NAME DRIVER FUNCTION
	n=$((n + 1))
	if [ "$2" = systemd ] && ! systemd_driver; then
		echo "ok $n $1 # skip $(basename "$RT") does not report the systemd cgroup driver (features: linux.cgroup.systemd)"
		return
	fi
	log "### $1"
	local start=$SECONDS
	if ("$3" "$2"); then
		echo "ok $n $1 ($((SECONDS - start)) s)"
	else
		echo "not ok $n $1 ($((SECONDS - start)) s)"
	fi
}

# ---------------------------------------------------------------- containerd

CTD_DIR=
ctr_() { ctr --address "$CTD_DIR/sock" --namespace v2 "$@"; }

containerd_start() {
	CTD_DIR=$(mktemp -d /var/tmp/containerd.XXXXXX)
	cat >"$CTD_DIR/config.toml" <<-CONF
		version = 2
		root = "$CTD_DIR/root"
		state = "$CTD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_DIR/sock"
	CONF
	containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/log" 2>&1 &
	CTD_PID=$!
	wait_until 60 ctr_ version || {
		log "containerd did not come up:"
		tail -n 20 "$CTD_DIR/log" >&2
		return 1
	}
}

containerd_stop() {
	[ -n "${CTD_PID:-}" ] || return 0
	kill "$CTD_PID" 2>/dev/null
	wait "$CTD_PID" 2>/dev/null
	# The shims outlive containerd; with no task left they exit on their own
	# when their socket closes. Kill the ones of this instance that remain.
	local p
	for p in $(pgrep -f "containerd-shim-runc-v2 -namespace v2 .*-address $CTD_DIR/sock"); do kill "$p"; done
	rm -rf "$CTD_DIR"
}

containerd_scenario() { # DRIVER
	local driver=$1 id=c-$1 rootfs cg flags=() unit= pid dir
	rootfs=$(mktemp -d /var/tmp/rootfs.XXXXXX)
	cp -a "$ROOTFS/." "$rootfs/"
	if [ "$driver" = systemd ]; then
		flags=(--runc-systemd-cgroup --cgroup "system.slice:ocirun-v2:$id")
		unit=ocirun-v2-$id.scope
	else
		flags=(--cgroup "/ocirun-v2/$id")
	fi
	trap 'ctr_ task kill -s SIGKILL '"$id"' >/dev/null 2>&1; sleep 1; ctr_ task delete -f '"$id"' >/dev/null 2>&1; ctr_ container delete '"$id"' >/dev/null 2>&1; rm -rf '"$rootfs"'' EXIT
	# ctr's spec for a bare rootfs has no PATH: runc (1.1) then finds no
	# "sh", where execvp semantics (ocirun, crun) search /bin:/usr/bin.
	run_logged ctr_ run -d --rootfs --runc-binary "$RT" "${flags[@]}" --memory-limit $MEM \
		--env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$rootfs" "$id" sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done' || return 1
	pid=$(ctr_ task ls | awk -v id="$id" '$1 == id {print $2}')
	[ -n "$pid" ] && [ "$pid" != 0 ] || { log "  FAIL: no task pid"; return 1; }
	dir=$(cgroup_of "$pid")
	log "  cgroup of the task: $dir"
	check "memory.max" $MEM "$(cat "$dir/memory.max")" || return 1
	if [ -n "$unit" ]; then
		check "cgroup is the scope" "/sys/fs/cgroup/system.slice/$unit" "$dir" || return 1
		check "$unit MemoryMax" "MemoryMax=$MEM" "$(systemctl show -p MemoryMax "$unit")" || return 1
		check "$unit Delegate" "Delegate=yes" "$(systemctl show -p Delegate "$unit")" || return 1
	else
		check "cgroup is the cgroupsPath" /sys/fs/cgroup/ocirun-v2/$id "$dir" || return 1
	fi
	# ctr's default spec has no cgroup namespace: the exec sees the path.
	check "exec output" "hello 0::${dir#/sys/fs/cgroup}" \
		"$(ctr_ task exec --exec-id e1 "$id" sh -c 'echo hello $(cat /proc/self/cgroup)' 2>&1 | tr -d '\r')" || return 1
	run_logged ctr_ task kill -s SIGTERM "$id" || return 1
	wait_until 30 sh -c "ctr --address $CTD_DIR/sock --namespace v2 task ls | grep -q '^$id .*STOPPED'" ||
		{ log "  FAIL: task did not stop"; return 1; }
	run_logged ctr_ task delete "$id" || return 1
	run_logged ctr_ container delete "$id" || return 1
	check "cgroup removed" gone "$([ -d "$dir" ] && echo present || echo gone)" || return 1
	if [ -n "$unit" ]; then
		wait_until 10 sh -c "! systemctl is-active -q $unit" || true
		check "$unit after delete" inactive "$(systemctl is-active "$unit")" || return 1
	fi
}

# ---------------------------------------------------------------- podman

PM_DIR=
pm() {
	CONTAINERS_CONF=$PM_DIR/containers.conf CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf \
		podman "$@"
}

podman_setup() {
	PM_DIR=$(mktemp -d /var/tmp/podman.XXXXXX)
	cat >"$PM_DIR/containers.conf" <<-CONF
		[containers]
		netns = "none"
		[engine]
		cgroup_manager = "systemd"
		events_logger = "file"
		runtime = "under-test"
		tmp_dir = "$PM_DIR/tmp"
		[engine.runtimes]
		under-test = ["$RT"]
	CONF
	cat >"$PM_DIR/storage.conf" <<-CONF
		[storage]
		driver = "overlay"
		graphroot = "$PM_DIR/root"
		runroot = "$PM_DIR/runroot"
	CONF
	tar -C "$ROOTFS" -cf "$PM_DIR/busybox.tar" .
	run_logged pm import "$PM_DIR/busybox.tar" localhost/busybox:v2 >/dev/null
}

podman_teardown() {
	[ -n "$PM_DIR" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1
	pm system reset -f >/dev/null 2>&1
	grep -q " $PM_DIR/" /proc/self/mountinfo && grep " $PM_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r umount -l
	rm -rf "$PM_DIR"
}

podman_scenario() { # DRIVER
	local driver=$1 id=p-$1 pid dir cid
	trap 'pm rm -f -t 0 '"$id"' >/dev/null 2>&1' EXIT
	run_logged pm --cgroup-manager "$driver" run -d --name "$id" --memory 64m --pids-limit $PIDS \
		localhost/busybox:v2 sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done' || return 1
	cid=$(pm inspect -f '{{.Id}}' "$id")
	pid=$(pm inspect -f '{{.State.Pid}}' "$id")
	dir=$(cgroup_of "$pid")
	log "  cgroup of the container: $dir"
	check "memory.max" $MEM "$(cat "$dir/memory.max")" || return 1
	check "pids.max" $PIDS "$(cat "$dir/pids.max")" || return 1
	if [ "$driver" = systemd ]; then
		check "cgroup is the scope" "/sys/fs/cgroup/machine.slice/libpod-$cid.scope" "$dir" || return 1
		check "unit MemoryMax" "MemoryMax=$MEM" "$(systemctl show -p MemoryMax "libpod-$cid.scope")" || return 1
		check "unit TasksMax" "TasksMax=$PIDS" "$(systemctl show -p TasksMax "libpod-$cid.scope")" || return 1
	fi
	check "exec" "hello" "$(pm exec "$id" echo hello 2>&1)" || return 1
	run_logged pm stop -t 5 "$id" >/dev/null || return 1
	check "state after stop" exited "$(pm inspect -f '{{.State.Status}}' "$id")" || return 1
	run_logged pm rm "$id" >/dev/null || return 1
	check "cgroup removed" gone "$([ -d "$dir" ] && echo present || echo gone)" || return 1
	if [ "$driver" = systemd ]; then
		check "scope after rm" inactive "$(systemctl is-active "libpod-$cid.scope")" || return 1
	fi
}

echo "1..4"
if containerd_start; then
	scenario containerd/systemd-cgroup systemd containerd_scenario
	scenario containerd/cgroupfs cgroupfs containerd_scenario
else
	echo "not ok 1 containerd/systemd-cgroup (containerd did not start)"
	echo "not ok 2 containerd/cgroupfs (containerd did not start)"
	n=2
fi
containerd_stop
podman_setup
scenario podman/systemd-cgroup systemd podman_scenario
scenario podman/cgroupfs cgroupfs podman_scenario
podman_teardown
