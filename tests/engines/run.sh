#!/usr/bin/env bash
# End-to-end tests: real engines (podman + conmon, containerd + ctr, the
# containerd CRI plugin, containerd's go-runc client) drive an OCI runtime.
#
# Usage: tests/engines/run.sh [REGEX]
#   REGEX       run only the scenarios whose name matches (bash =~), e.g.
#               'podman/' or 'cri|containerd/run-rm'
#
# Environment:
#   RUNTIME       ocirun (default: <repo>/ocirun), runc, or a path to a
#                 runc-compatible binary; the engines call it through a
#                 logging wrapper
#   NO_INSTALL=1  do not apt-get the engines (fail if one is missing)
#   SCENARIO_TIMEOUT  seconds one scenario may take (default 90)
#   ENGINES_TIMEOUT   seconds the whole inner part may take (default 900)
#   ENGINES_SHADOW_CGROUPS=1  keep the host's cgroup mounts under the
#                 suite's own (each hierarchy twice in mountinfo)
#   ENGINES_DEBUG_SCRIPT=FILE  run FILE (bash) in the prepared environment
#                 (engines up, images in, lib.sh to source) instead of the
#                 scenarios: for investigating a failure by hand
#
# Results (gitignored), under tests/engines/results/:
#   invocations.log            every runtime invocation the engines made with
#                              RUNTIME=ocirun (invocations.<name>.log for others)
#   <name>/<scenario>.log      each scenario's own output
#   <name>.tap, <name>.summary
# The last line printed is "engines: N passed, N failed, N skipped".
#
# Isolation. Everything runs in a child of the caller's cgroup (one per
# v1 hierarchy and the cgroup2 tree), inside new mount, network and cgroup
# namespaces: the engines see that child as the cgroup root, so every cgroup
# they make lives below it; their scratch files (storage, state, sockets) are
# on a tmpfs, /run is a fresh tmpfs, and the network is a private one with
# only loopback. When the inner part ends, pass or fail, the outer part kills
# every process left in that cgroup subtree, removes the subtree and the
# scratch mount point. Nothing mounted inside can reach the host.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export ENGINES_DIR="$here" REPO_DIR="$repo"

die() { echo "engines: $*" >&2; exit 2; }

if [[ "${_ENGINES_INNER:-}" == 1 ]]; then
	# shellcheck source=inner.sh
	source "$here/inner.sh"
	exit $?
fi

[[ $(id -u) == 0 ]] || die "needs root"
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

if [[ "${NO_INSTALL:-}" != 1 ]]; then
	"$here/install-deps.sh"
fi
for tool in podman conmon containerd ctr containerd-shim-runc-v2 umoci catatonit \
	unshare nsenter ip jq go busybox timeout; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done

runtime=${RUNTIME:-ocirun}
case "$runtime" in
ocirun) runtime=$repo/ocirun ;;
*/*) ;;
*) runtime=$(command -v "$runtime") || die "runtime ${RUNTIME} not in PATH" ;;
esac
[[ -x "$runtime" ]] || die "runtime $runtime is not an executable (run make build first)"
runtime=$(realpath "$runtime")
rt_name=$(basename "$runtime")
export RT_REAL="$runtime" RT_NAME="$rt_name"

results=$here/results
build=$here/build
mkdir -p "$results/$rt_name" "$build"
rm -f "$results/$rt_name"/*.log
if [[ "$rt_name" == ocirun ]]; then
	invlog=$results/invocations.log
else
	invlog=$results/invocations.$rt_name.log
fi
: >"$invlog"
export RESULTS_DIR="$results" INVOCATION_LOG="$invlog" BUILD_DIR="$build"

# The CRI client and the go-runc test live in their own Go module, so that
# their dependencies stay out of ocirun's go.mod.
echo "engines: building the CRI client and the go-runc test" >&2
(
	cd "$here/cri-client"
	go build -o "$build/cri-client" .
	go test -c -o "$build/gorunc.test" ./gorunc
) || die "cannot build tests/engines/cri-client"

cg_name=ocirun-engines-$$
cg_dirs=()
scratch=
made_dirs=()
cg_procs() {
	local d
	for d in "${cg_dirs[@]}"; do
		[[ -d "$d" ]] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

cleanup() {
	local st=$? i pids d
	set +e
	# Thaw anything frozen, kill everything left, then remove the subtree.
	for d in "${cg_dirs[@]}"; do
		[[ -f "$d/freezer.state" ]] || continue
		find "$d" -name freezer.state -exec sh -c 'echo THAWED >"$1"' _ {} \; 2>/dev/null
	done
	for d in "${cg_dirs[@]}"; do
		find "$d" -name cgroup.freeze -exec sh -c 'echo 0 >"$1"' _ {} \; 2>/dev/null
	done
	for i in $(seq 50); do
		pids=$(cg_procs)
		[[ -z "$pids" ]] && break
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	[[ -n "$(cg_procs)" ]] && echo "engines: processes left in $cg_name: $(cg_procs | tr '\n' ' ')" >&2
	for d in "${cg_dirs[@]}"; do
		[[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -d "$d" ]] && echo "engines: cannot remove cgroup $d" >&2
	done
	# The tmpfs on $scratch lived only in the inner mount namespace, which is
	# gone now that its last process is; never remove a mount point.
	if [[ -z "$scratch" ]]; then
		:
	elif findmnt -n "$scratch" >/dev/null 2>&1 || grep -qF " $scratch" /proc/self/mountinfo; then
		echo "engines: $scratch is still a mount point on the host; left in place" >&2
	else
		rmdir "$scratch" 2>/dev/null || echo "engines: $scratch not empty; left in place" >&2
	fi
	for d in "${made_dirs[@]}"; do
		rmdir "$d" 2>/dev/null || echo "engines: $d not empty; left in place" >&2
	done
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Scratch directory: an empty directory on the host; inside the namespaces a
# tmpfs is mounted on it.
scratch=$(mktemp -d /tmp/ocirun-engines.XXXXXX)
export SCRATCH="$scratch"
# Where engines write whatever their configuration says: libcni's cache and
# host-local's leases (/var/lib/cni), containers/image's blob cache
# (/var/lib/containers), podman's pause image build (/var/tmp). Inside, a
# tmpfs covers each; a mount point made here is removed at the end.
covered_dirs=(/var/lib/cni /var/lib/containers /var/tmp)
for d in "${covered_dirs[@]}"; do
	if [[ ! -d "$d" ]]; then
		mkdir "$d"
		made_dirs+=("$d")
	fi
done
export COVERED_DIRS="${covered_dirs[*]}"

# One child cgroup of our own cgroup per hierarchy.
while IFS= read -r line; do
	# 4:memory:/process_api/x  or  0::/
	path=${line#*:*:}
	ctrls=${line#*:}
	ctrls=${ctrls%%:*}
	if [[ -z "$ctrls" ]]; then
		mnt=$(findmnt -n -o TARGET -t cgroup2 /sys/fs/cgroup/unified 2>/dev/null ||
			findmnt -n -o TARGET -t cgroup2 /sys/fs/cgroup 2>/dev/null) || continue
	else
		mnt=
		for c in ${ctrls//,/ }; do
			c=${c#name=}
			if [[ -d /sys/fs/cgroup/$c ]] && [[ "$(stat -f -c %T "/sys/fs/cgroup/$c")" == cgroupfs ]]; then
				mnt=/sys/fs/cgroup/$c
				break
			fi
		done
		[[ -n "$mnt" ]] || continue
	fi
	dir=$mnt${path%/}/$cg_name
	mkdir "$dir"
	cg_dirs+=("$dir")
	if [[ -f "$dir/cpuset.cpus" ]]; then
		cat "$dir/../cpuset.cpus" >"$dir/cpuset.cpus"
		cat "$dir/../cpuset.mems" >"$dir/cpuset.mems"
	fi
done </proc/self/cgroup

# The host's /dev/shm before: anything new there afterwards was left by the
# run (the inner part has a /dev/shm of its own; see final.sh).
shm_before=$(ls -A /dev/shm)

# The inner part joins the child cgroups, then gets its namespaces. A global
# limit keeps a hung engine from hanging CI.
st=0
_ENGINES_INNER=1 ENGINES_FILTER="${1:-}" timeout -k 10 "${ENGINES_TIMEOUT:-900}" \
	bash -c 'for f in "$@"; do echo $$ >"$f/cgroup.procs"; done
		exec unshare -m -n -C --propagation private bash "'"$here"'/run.sh"' \
	_ "${cg_dirs[@]}" </dev/null || st=$?
[[ $st == 124 || $st == 137 ]] && echo "engines: the suite hit its global time limit" >&2
shm_new=$(comm -13 <(sort <<<"$shm_before") <(ls -A /dev/shm | sort) | tr '\n' ' ')
if [[ -n "$shm_new" ]]; then
	echo "engines: new in the host's /dev/shm after the run: $shm_new" >&2
	[[ $st != 0 ]] || st=1
fi
exit "$st"
