# shellcheck shell=bash
# The part of run.sh that runs inside the private mount, network and cgroup
# namespaces. Sourced by run.sh; sets up the scratch filesystem, the logging
# wrapper, the images and the engines, runs the scenarios and tears the
# engines down. Whatever it leaves behind, run.sh's outer part removes.
set -euo pipefail

S=$SCRATCH
export S

# --- namespaces: private /run and /dev/shm, scratch tmpfs, cgroup view, loopback
mount -t tmpfs -o mode=0755,size=4g engines-scratch "$S"
mount -t tmpfs -o mode=0755,nosuid,nodev engines-run /run
# podman keeps its locks in /dev/shm/libpod_lock, which would outlive the run.
mount -t tmpfs -o mode=1777,nosuid,nodev engines-shm /dev/shm
mkdir -p /run/lock && chmod 1777 /run/lock
ln -s /dev/shm /run/shm
# Host directories engines write to whatever their configuration says.
for d in $COVERED_DIRS; do
	mode=0700
	[[ "$d" == /var/tmp ]] && mode=1777
	mount -t tmpfs -o mode=$mode engines-covered "$d"
done
mkdir -p "$S/tmp"
export TMPDIR=$S/tmp
# Engines drop files into their working directory (conmon writes an "oom"
# marker there when a container is OOM-killed): not into the checkout.
cd "$S"

# Mount every cgroup hierarchy again: in the new cgroup namespace its root is
# the child cgroup run.sh made, so the engines' cgroups all land below it.
# mountinfo: ID PARENT DEV ROOT TARGET OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
cg_mounts=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5, $(i+1), $(i+3) }' /proc/self/mountinfo)
links=$(find /sys/fs/cgroup -maxdepth 1 -type l -printf '%f %l\n')
# The host's cgroup mounts go away in this mount namespace (the propagation
# is private: the host keeps them), so that the mount table looks like a
# host's, with one mount per hierarchy. ENGINES_SHADOW_CGROUPS=1 leaves them
# under the new ones, as in a nested setup where /sys/fs/cgroup was mounted
# over: every hierarchy is then listed twice in mountinfo.
if [[ "${ENGINES_SHADOW_CGROUPS:-}" != 1 ]]; then
	umount -R /sys/fs/cgroup
fi
mount -t tmpfs -o mode=0755,nosuid,nodev,noexec engines-cgroup /sys/fs/cgroup
while read -r target fstype opts; do
	[[ "$target" == /sys/fs/cgroup/* || "$target" == /sys/fs/cgroup ]] || continue
	opts=${opts#rw,}
	[[ "$opts" == rw ]] && opts=
	mkdir -p "$target"
	mount -t "$fstype" ${opts:+-o "$opts"} "$fstype" "$target"
done <<<"$cg_mounts"
while read -r name dest; do
	[[ -n "$name" ]] && ln -s "$dest" "/sys/fs/cgroup/$name"
done <<<"$links"

ip link set lo up

# shellcheck source=lib.sh
source "$ENGINES_DIR/lib.sh"

mkdir -p "$S/bin" "$S/podman" "$S/ctd" "$S/cri" "$S/gorunc"

# --- logging wrapper ---------------------------------------------------------
# Every runtime call the engines make goes through it. One line per call:
#   TIME PID rc=N caller=COMM ARGS...
# and, when the call failed and passed --log FILE, the last line of FILE that
# mentions an error. The wrapper stays the parent of the runtime (so that it
# can log the exit status) but touches none of its file descriptors.
RT_WRAPPER=$S/bin/$RT_NAME
export RT_WRAPPER
cat >"$RT_WRAPPER" <<EOF
#!/bin/bash
real=$(printf '%q' "$RT_REAL")
log=$(printf '%q' "$INVOCATION_LOG")
EOF
cat >>"$RT_WRAPPER" <<'EOF'
caller=$(cat /proc/$PPID/comm 2>/dev/null || echo '?')
start=$(date +%H:%M:%S.%3N)
rc=0
"$real" "$@" || rc=$?
logfile=
prev=
for a in "$@"; do
	case "$prev" in --log) logfile=$a ;; esac
	case "$a" in --log=*) logfile=${a#--log=} ;; esac
	prev=$a
done
{
	printf '%s pid=%s rc=%s caller=%s %s' "$start" "$$" "$rc" "$caller" "${real##*/}"
	printf ' %q' "$@"
	printf '\n'
	if [[ $rc != 0 && -n "$logfile" && -f "$logfile" ]]; then
		line=$(grep -i 'error' "$logfile" | tail -n 1)
		[[ -n "$line" ]] && printf '    log: %s\n' "$line"
	fi
} >>"$log"
exit $rc
EOF
chmod 0755 "$RT_WRAPPER"

# --- images ------------------------------------------------------------------
echo "engines: building images" >&2
"$REPO_DIR/tests/rootfs.sh" "$S/rootfs" >/dev/null
# id/whoami inside the image know uid 1000 by name.
echo 'tester:x:1000:1000:tester:/home/tester:/bin/sh' >>"$S/rootfs/etc/passwd"
echo 'tester:x:1000:' >>"$S/rootfs/etc/group"
mkdir -p "$S/rootfs/home/tester" && chown 1000:1000 "$S/rootfs/home/tester"
tar -C "$S/rootfs" -cf "$S/busybox.tar" .

# The pause (sandbox) image for the CRI plugin: busybox plus catatonit.
cp -a "$S/rootfs" "$S/pauserootfs"
install -m 0755 "$(command -v catatonit)" "$S/pauserootfs/catatonit"

# oci_image LAYOUT ROOTFS CMD... : an OCI layout holding one image, tagged
# "test", with one layer.
oci_image() {
	local layout=$1 rootfs=$2 bundle=$S/umoci-bundle
	shift 2
	umoci init --layout "$layout"
	umoci new --image "$layout:test"
	umoci unpack --image "$layout:test" "$bundle" >/dev/null
	cp -a "$rootfs/." "$bundle/rootfs/"
	umoci repack --image "$layout:test" "$bundle"
	local cfg=() a
	for a in "$@"; do cfg+=(--config.cmd "$a"); done
	umoci config --image "$layout:test" --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin "${cfg[@]}"
	rm -rf "$bundle"
	(cd "$layout" && tar -cf "$layout.tar" .)
}
oci_image "$S/oci-busybox" "$S/rootfs" /bin/sh
oci_image "$S/oci-pause" "$S/pauserootfs" /catatonit -P

# --- podman ------------------------------------------------------------------
PM_ROOT=$S/podman/root
PM_RUNROOT=$S/podman/runroot
export PM_ROOT PM_RUNROOT
nofile=$(ulimit -Hn)
# podman lowers its own RLIMIT_NPROC to kernel.pid_max when it can, so its
# runtime cannot set more than that.
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
[[ "$nproc" == unlimited || "$nproc" -gt "$pid_max" ]] && nproc=$pid_max
mkdir -p "$S/podman/cni" "$S/podman/tmp"
cat >"$S/podman/cni/podman.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "podman",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni-podman0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" }]]
      }
    }
  ]
}
EOF
# Only this file is read: CONTAINERS_CONF replaces the system's files.
cat >"$S/podman/containers.conf" <<EOF
[containers]
# No CAP_SYS_RESOURCE here: the defaults would raise the hard limits.
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$S/podman/cni"
default_network = "podman"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$S/podman/events.log"
tmp_dir = "$S/podman/tmp"
image_copy_tmp_dir = "$S/tmp"
runtime = "$RT_NAME"
runtime_supports_json = ["$RT_NAME"]
helper_binaries_dir = ["/usr/lib/podman", "/usr/libexec/podman", "/usr/bin"]
init_path = "$(command -v catatonit)"

[engine.runtimes]
$RT_NAME = ["$RT_WRAPPER"]
EOF
cat >"$S/podman/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PM_ROOT"
runroot = "$PM_RUNROOT"
EOF
cat >"$S/podman/registries.conf" <<'EOF'
unqualified-search-registries = []
EOF
export CONTAINERS_CONF=$S/podman/containers.conf
export CONTAINERS_STORAGE_CONF=$S/podman/storage.conf
export CONTAINERS_REGISTRIES_CONF=$S/podman/registries.conf
pm import --change 'CMD ["/bin/sh"]' "$S/busybox.tar" localhost/busybox:test >/dev/null

# --- containerd --------------------------------------------------------------
CTD_SOCK=$S/ctd/containerd.sock
export CTD_SOCK
mkdir -p "$S/ctd/cni" "$S/ctd/rtroot"
cat >"$S/ctd/cni/10-e2e.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni-e2e0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$S/ctd/cni-ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "10.89.0.0/16", "gateway": "10.89.0.1" }]]
      }
    },
    { "type": "loopback" }
  ]
}
EOF
cat >"$S/ctd/config.toml" <<EOF
version = 2
root = "$S/ctd/root"
state = "$S/ctd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CTD_SOCK"

[ttrpc]
  address = "$CTD_SOCK.ttrpc"

[debug]
  level = "debug"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:test"
  # No CAP_SYS_RESOURCE here: sandboxes may not lower their oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "e2e"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.e2e]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.e2e.options]
        BinaryName = "$RT_WRAPPER"
        Root = "$S/ctd/rtroot"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/ctd/cni"
EOF
echo "engines: starting containerd" >&2
containerd --config "$S/ctd/config.toml" >"$RESULTS_DIR/$RT_NAME/containerd.log" 2>&1 &
CTD_PID=$!
export CTD_PID
retry 100 0.1 ctr_ version >/dev/null || {
	tail -n 20 "$RESULTS_DIR/$RT_NAME/containerd.log" >&2
	exit 2
}
ctrd image import --base-name localhost/busybox "$S/oci-busybox.tar" >/dev/null
ctr_ -n k8s.io image import --base-name localhost/busybox "$S/oci-busybox.tar" >/dev/null
ctr_ -n k8s.io image import --base-name localhost/pause "$S/oci-pause.tar" >/dev/null
ctrd image ls -q
ctr_ -n k8s.io image ls -q

# --- scenarios ---------------------------------------------------------------
st=0
if [[ -n "${ENGINES_DEBUG_SCRIPT:-}" ]]; then
	# A script of one's own in the prepared environment, instead of the
	# scenarios (lib.sh's helpers are there to source).
	bash "$ENGINES_DEBUG_SCRIPT" || st=$?
else
	source "$ENGINES_DIR/runner.sh"
	run_all || st=$?
fi

# --- teardown ----------------------------------------------------------------
set +e
pm rm -af -t 0 >/dev/null 2>&1
pm pod rm -af -t 0 >/dev/null 2>&1
kill -TERM "$CTD_PID" 2>/dev/null
for _ in $(seq 50); do kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$CTD_PID" 2>/dev/null
exit "$st"
