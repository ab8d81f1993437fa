#!/usr/bin/env bash
# The runtime run by an unprivileged user: bats files of tests/bats (with
# OCIRUN_ROOTLESS=1, so that helpers.bash makes rootless bundles) and rootless
# podman (tests/rootless/podman.bats), as a throwaway account.
#
# Usage (as root): tests/rootless/run.sh [FILE...]
#   FILE   bats files to run instead of the default list, relative to the
#          repository (tests/bats/exec.bats)
#
# Environment:
#   OCIRUN          the runtime (default <repo>/ocirun; runc, or a path)
#   ROOTLESS_UID    the account's uid and gid (default 47291; must be free)
#   ROOTLESS_TIMEOUT  seconds the whole run as the user may take (default 600)
#   NO_INSTALL=1    do not apt-get podman and conmon when they are missing
#   ROOTLESS_FILTER a regex: run only the bats tests whose names match
#   OCIRUN_TIMEOUT, OCIRUN_TEST_SLOWDOWN  passed on to the tests (helpers.bash)
#
# What it does, as root:
#   - makes the account ocirun-rl with that uid, a group of the same id, and
#     one range of 65536 subordinate uids and gids in /etc/subuid and
#     /etc/subgid (both files are restored from a copy at the end);
#   - makes a cgroup ocirun-rootless-PID owned by root (nothing is
#     delegated by accident) and in it "delegated", a subtree given to the
#     account, which rootless.bats uses (OCIRUN_ROOTLESS_CGROUP, a relative
#     cgroupsPath that lands in it): in each cgroup v1 hierarchy below
#     run.sh's own cgroup, "delegated" chowned as a whole, as runc's
#     rootless tests do; on a pure cgroup v2 host beside run.sh's own cgroup
#     (below its parent), with the controllers enabled and the account's
#     processes in it, as systemd's Delegate=yes does;
#   - in a private mount namespace: a tmpfs scratch directory holding the
#     account's home, XDG_RUNTIME_DIR (0700) and TMPDIR, a copy of what the
#     tests read from the repository (so its location's permissions do not
#     matter), fresh /run and /dev/shm;
#   - runs bats there as the account (setpriv: no PAM session, no
#     capabilities), with a clean environment.
# Afterwards, pass or fail: whatever runs as the account or in the cgroup
# subtree is a leftover (killed, and the run fails), as is a mount of the
# scratch directory on the host, a file of the account in /tmp, /var/tmp or
# /dev/shm, or a change to the host's /dev/shm; then the account, its group,
# the subtree and the scratch directory go, and the subuid files are put back.
#
# Results: build/rootless-RUNTIME.tap, and build/rootless-podman-RUNTIME/
# (every call podman made of the runtime, with the config of each create).
# The last line printed is "rootless: N passed, N failed, N skipped".
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
	echo "rootless: $*" >&2
	exit 2
}

RL_USER=ocirun-rl
RL_MARK="ocirun rootless tests"
RL_SUB_START=524288
RL_SUB_COUNT=65536

default_files=(tests/bats/lifecycle.bats tests/bats/exec.bats tests/bats/namespaces.bats
	tests/bats/terminal.bats tests/bats/hooks.bats tests/bats/rootless.bats tests/rootless/podman.bats)

# inner: in the private mount namespace, as root, then bats as the account.
inner() {
	local s=$SCRATCH
	mount -t tmpfs -o mode=0755,size=4g rootless-scratch "$s"
	mount -t tmpfs -o mode=0755,nosuid,nodev rootless-run /run
	mount -t tmpfs -o mode=1777,nosuid,nodev rootless-shm /dev/shm
	mkdir -p /run/lock && chmod 1777 /run/lock
	ln -s /dev/shm /run/shm
	install -d -o "$RL_UID" -g "$RL_UID" -m 0700 "$s/home" "$s/xdg" "$s/tmp" "$s/podman-record"
	# Device nodes every user may use, as they should be: a host where one
	# was recreated by root with another mode (a /dev/null of 0755 was seen)
	# fails every unprivileged shell. Fixed here only.
	local dev
	for dev in null zero full random urandom tty; do
		[ "$(stat -c %a "/dev/$dev")" = 666 ] && continue
		echo "rootless: /dev/$dev has mode $(stat -c %a "/dev/$dev") on the host; a 0666 one is bound over it for the run" >&2
		mkdir -p "$s/dev"
		cp -a "/dev/$dev" "$s/dev/$dev"
		chmod 0666 "$s/dev/$dev"
		mount --bind "$s/dev/$dev" "/dev/$dev"
	done

	# What the tests read of the repository, and the runtime's binaries
	# (ocirun finds its helpers next to itself).
	local r=$s/repo f
	mkdir -p "$r/tests/bin"
	cp -a "$repo/config.sample.json" "$r/"
	cp -a "$repo/tests/bats" "$repo/tests/rootless" "$repo/tests/rootfs.sh" "$r/tests/"
	[ ! -x "$repo/tests/bin/recvtty" ] || cp -a "$repo/tests/bin/recvtty" "$r/tests/bin/"
	local runtime=$RUNTIME
	if [ "$RUNTIME" = "$repo/ocirun" ]; then
		for f in ocirun ocirun-init ocirun-exec ocirun-systemd; do
			[ ! -e "$repo/$f" ] || cp -a "$repo/$f" "$r/"
		done
		runtime=$r/ocirun
	fi
	chmod -R a+rX "$r"

	local files=() st=0
	for f in $RL_FILES; do files+=("$r/$f"); done
	cd "$s/tmp"
	setpriv --reuid="$RL_UID" --regid="$RL_UID" --init-groups -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		HOME="$s/home" USER="$RL_USER" LOGNAME="$RL_USER" SHELL=/bin/sh LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="$s/xdg" TMPDIR="$s/tmp" \
		OCIRUN="$runtime" OCIRUN_ROOTLESS=1 OCIRUN_ROOTLESS_CGROUP="$RL_CGROUP" \
		${OCIRUN_TIMEOUT:+OCIRUN_TIMEOUT="$OCIRUN_TIMEOUT"} \
		${OCIRUN_TEST_SLOWDOWN:+OCIRUN_TEST_SLOWDOWN="$OCIRUN_TEST_SLOWDOWN"} \
		PODMAN_RECORD="$s/podman-record" \
		bats --tap ${ROOTLESS_FILTER:+--filter "$ROOTLESS_FILTER"} "${files[@]}" </dev/null || st=$?

	# Kept on the host: what podman passed to the runtime.
	if [ -s "$s/podman-record/calls.log" ]; then
		rm -rf "$RECORD_DIR"
		cp -r "$s/podman-record" "$RECORD_DIR"
	fi
	return "$st"
}

if [ "${_ROOTLESS_INNER:-}" = 1 ]; then
	inner
	exit $?
fi

[ "$(id -u)" = 0 ] || die "needs root (it makes an account and runs the tests as that account)"
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

if [ "${NO_INSTALL:-}" != 1 ] && ! { command -v podman && command -v conmon; } >/dev/null; then
	"$repo/tests/engines/install-deps.sh"
fi
for tool in bats jq setpriv unshare useradd userdel groupadd groupdel newuidmap newgidmap busybox timeout; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (tests/install-deps.sh installs it)"
done

runtime=${OCIRUN:-$repo/ocirun}
case "$runtime" in
*/*) runtime=$(realpath "$runtime") ;;
*) runtime=$(command -v "$runtime") || die "runtime $OCIRUN not in PATH" ;;
esac
[ -x "$runtime" ] || die "runtime $runtime is not an executable (run make build first)"
rt_name=$(basename "$runtime")

RL_UID=${ROOTLESS_UID:-47291}
RL_FILES=${*:-${default_files[*]}}
for f in $RL_FILES; do
	[ -f "$repo/$f" ] || die "no such bats file: $repo/$f"
done

mkdir -p "$repo/build"
tap=$repo/build/rootless-$rt_name.tap
record_dir=$repo/build/rootless-podman-$rt_name

# A previous run that was killed before its cleanup left its account: it is
# recognised by its comment and removed; anything else by that name or id is
# someone else's.
if getent passwd "$RL_USER" >/dev/null; then
	[ "$(getent passwd "$RL_USER" | cut -d: -f3,5)" = "$RL_UID:$RL_MARK" ] ||
		die "an account $RL_USER exists that this script did not make"
	echo "rootless: removing the account $RL_USER a killed run left" >&2
	userdel "$RL_USER"
fi
getent group "$RL_USER" >/dev/null && groupdel "$RL_USER"
getent passwd "$RL_UID" >/dev/null && die "uid $RL_UID is in use (set ROOTLESS_UID)"
getent group "$RL_UID" >/dev/null && die "gid $RL_UID is in use (set ROOTLESS_UID)"
for f in /etc/subuid /etc/subgid; do
	# name:start:count lines whose range meets ours.
	if awk -F: -v s=$RL_SUB_START -v n=$RL_SUB_COUNT 'NF == 3 && $2 < s + n && s < $2 + $3 {found = 1} END {exit !found}' "$f" 2>/dev/null; then
		die "$f already gives out ids in $RL_SUB_START..$((RL_SUB_START + RL_SUB_COUNT - 1))"
	fi
done

scratch=
backup=
cg_dirs=()
account_made=
cg_procs() {
	local d
	for d in ${cg_dirs[@]+"${cg_dirs[@]}"}; do
		[ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}
uid_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat -c %u "$p" 2>/dev/null)" = "$RL_UID" ] && echo "${p#/proc/}"
	done
	return 0
}

# cleanup: remove everything the run made, pass or fail; LEFT is set when
# something was left that should not have been.
LEFT=
cleaned=
cleanup() {
	local pids p d i
	[ -z "$cleaned" ] || return 0
	cleaned=1
	set +e
	# Leftovers: processes of the account or in the subtree. Frozen ones are
	# thawed first, or SIGKILL would wait for them.
	# A second for what is on its way out.
	for i in $(seq 10); do
		pids=$( (uid_procs; cg_procs) | sort -un)
		[ -z "$pids" ] && break
		sleep 0.1
	done
	if [ -n "$pids" ]; then
		LEFT=1
		echo "rootless: processes left after the run:" >&2
		for p in $pids; do echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2; done
	fi
	for d in ${cg_dirs[@]+"${cg_dirs[@]}"}; do
		find "$d" -name freezer.state -exec sh -c 'echo THAWED >"$1"' _ {} \; 2>/dev/null
		find "$d" -name cgroup.freeze -exec sh -c 'echo 0 >"$1"' _ {} \; 2>/dev/null
	done
	for i in $(seq 50); do
		pids=$( (uid_procs; cg_procs) | sort -un)
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
	for d in ${cg_dirs[@]+"${cg_dirs[@]}"}; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$d" ] && echo "rootless: cannot remove cgroup $d" >&2 && LEFT=1
	done
	# The tmpfs on the scratch directory lived only in the inner mount
	# namespace; never remove a mount point.
	if [ -n "$scratch" ]; then
		if grep -qF " $scratch" /proc/self/mountinfo; then
			echo "rootless: $scratch is mounted on the host; left in place" >&2
			LEFT=1
		else
			rmdir "$scratch/s" "$scratch" 2>/dev/null || { echo "rootless: $scratch not empty; left in place" >&2; LEFT=1; }
		fi
	fi
	if [ -n "$account_made" ]; then
		local files
		files=$(find /tmp /var/tmp /dev/shm -xdev -maxdepth 3 -uid "$RL_UID" 2>/dev/null | head -n 20 | tr '\n' ' ')
		if [ -n "$files" ]; then
			echo "rootless: files of $RL_USER left on the host: $files" >&2
			LEFT=1
		fi
		userdel "$RL_USER" || LEFT=1
		! getent group "$RL_USER" >/dev/null || groupdel "$RL_USER"
	fi
	if [ -n "$backup" ]; then
		for f in subuid subgid; do
			cat "$backup/$f" >"/etc/$f" && rm -f "$backup/$f"
		done
		rmdir "$backup"
	fi
	local shm_new
	shm_new=$(comm -13 <(sort <<<"$shm_before") <(ls -A /dev/shm | sort) | tr '\n' ' ')
	if [ -n "$shm_new" ]; then
		echo "rootless: new in the host's /dev/shm after the run: $shm_new" >&2
		LEFT=1
	fi
	set -e
}
shm_before=$(ls -A /dev/shm)
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 130' INT TERM

backup=$(mktemp -d /tmp/ocirun-rootless-etc.XXXXXX)
cp -a /etc/subuid "$backup/subuid"
cp -a /etc/subgid "$backup/subgid"
scratch=$(mktemp -d /tmp/ocirun-rootless.XXXXXX)
chmod 0755 "$scratch"
mkdir "$scratch/s"

groupadd -g "$RL_UID" "$RL_USER"
account_made=1
useradd -u "$RL_UID" -g "$RL_UID" -M -d "$scratch/s/home" -s /bin/sh -c "$RL_MARK" "$RL_USER"
# useradd may have given out a range of its own: the account gets ours only.
for f in subuid subgid; do
	{ cat "$backup/$f"; echo "$RL_USER:$RL_SUB_START:$RL_SUB_COUNT"; } >"/etc/$f"
done

# One cgroup of the run's own in every hierarchy, owned by root, which the
# run joins, and in it "delegated", the account's subtree. In each v1
# hierarchy the run's cgroup goes below ours and the account gets
# "delegated" as a whole, as runc's rootless tests make it (a cpuset child
# starts with no CPUs and memory nodes). Not in the cgroup2 of a hybrid host
# (it has no controllers): there a process may only move between cgroups
# below one whose cgroup.procs it may write, so a subtree beside the
# caller's cgroup is no delegation. On a pure cgroup v2 host the run's
# cgroup goes beside ours (a cgroup that holds processes, as ours does,
# cannot enable controllers for its children), and the account gets what a
# systemd Delegate=yes unit gets: "delegated" with the controllers its
# parent enables and, of its files, cgroup.procs, cgroup.subtree_control
# and cgroup.threads, and its processes inside it, in the leaf "runner". A
# relative cgroupsPath then lands in "delegated", beside "runner" (v2
# resolves it against the parent of the runtime's cgroup);
# OCIRUN_ROOTLESS_CGROUP is a cgroup of the tests' there.
cg_name=ocirun-rootless-$$
join_dirs=()
RL_CGROUP=
pure_v2=
[ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || pure_v2=1
while IFS=: read -r _ ctrls path; do
	if [ -z "$ctrls" ]; then
		mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
	else
		mnt=$(awk -v c="${ctrls%%,*}" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") {print $2; exit}' /proc/self/mounts)
	fi
	[ -n "$mnt" ] || continue
	if [ -n "$pure_v2" ]; then
		dir=$mnt${path%/}
		[ "$dir" = "$mnt" ] || dir=$(dirname "$dir")
		dir=$dir/$cg_name
		mkdir "$dir"
		cg_dirs+=("$dir")
		for c in $(cat "$dir/cgroup.controllers"); do
			echo "+$c" >"$dir/cgroup.subtree_control"
		done
		mkdir "$dir/delegated" "$dir/delegated/runner"
		chown "$RL_UID:$RL_UID" "$dir/delegated" "$dir"/delegated/cgroup.{procs,subtree_control,threads}
		chown -R "$RL_UID:$RL_UID" "$dir/delegated/runner"
		join_dirs+=("$dir/delegated/runner")
		RL_CGROUP=containers
		continue
	fi
	dir=$mnt${path%/}/$cg_name
	mkdir "$dir"
	cg_dirs+=("$dir")
	join_dirs+=("$dir")
	[ -n "$ctrls" ] || continue
	mkdir "$dir/delegated"
	for d in "$dir" "$dir/delegated"; do
		if [ -f "$d/cpuset.cpus" ]; then
			cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
			cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
		fi
	done
	chown -R "$RL_UID:$RL_UID" "$dir/delegated"
	RL_CGROUP=delegated
done </proc/self/cgroup

echo "rootless: running as $RL_USER (uid $RL_UID) with $runtime" >&2
st=0
export _ROOTLESS_INNER=1 SCRATCH="$scratch/s" RUNTIME="$runtime" RL_UID RL_USER RL_FILES RL_CGROUP RECORD_DIR="$record_dir"
tmp_tap=$(mktemp "$repo/build/rootless.XXXXXX")
timeout -k 10 "${ROOTLESS_TIMEOUT:-600}" bash -c 'for d in "${@:2}"; do echo $$ >"$d/cgroup.procs"; done
	exec unshare -m --propagation private bash "$1"' _ "$here/run.sh" "${join_dirs[@]}" </dev/null |
	tee "$tmp_tap" || st=$?
[ "$st" != 124 ] && [ "$st" != 137 ] || echo "rootless: the run hit its time limit" >&2
mv -f "$tmp_tap" "$tap"
cleanup
pass=$(grep -Ec '^ok ' "$tap" || true)
skip=$(grep -Ec '^ok .* # skip' "$tap" || true)
fail=$(grep -Ec '^not ok ' "$tap" || true)
if [ -n "$LEFT" ]; then
	echo "rootless: $((pass - skip)) passed, $fail failed, $skip skipped; leftovers (see above)"
	[ "$st" != 0 ] || st=1
else
	echo "rootless: $((pass - skip)) passed, $fail failed, $skip skipped"
fi
exit "$st"
