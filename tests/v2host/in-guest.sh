#!/bin/bash
# The guest half of `make test-v2`, run by tests/v2host/run.sh inside the
# cgroup v2 + systemd guest. Everything it needs was built on the host into
# build/v2 (see test-v2.sh); results go back there, to the shared repo.
#
# Stages, each counted in the closing summary line; go first, the others in
# two lanes side by side (see lane):
#   go            the package test binaries (go test -c) that need a real v2 tree
#   bats          the v2 and systemd suites: $V2_BATS (default cgroups_v2
#                 cgroups systemd; a missing file is left out)
#   engines       containerd and podman with the systemd and cgroupfs drivers
#   rootless      tests/bats/rootless.bats as an unprivileged account, through
#                 tests/rootless/run.sh, which delegates it a v2 subtree
#   bats-general  $V2_BATS_GENERAL (default security lifecycle exec), each
#                 file started only when, at the pace of its lane's tests so
#                 far, it ends within $V2_BUDGET seconds of the job's start
#                 (default 2700); the others count as skipped, by name
#
# V2_BATS_FILTER (a regex) selects bats tests by name in every bats stage.
# $OCIRUN names the runtime under test: empty for the repo's ocirun, "runc"
# for the guest's Debian runc. V2_STAGES picks stages (default all five).
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/v2
runtime=${OCIRUN:-ocirun}
# V2_LAYOUT=hybrid: the guest was booted with systemd's hybrid layout (v1
# controllers, cgroup2 at /sys/fs/cgroup/unified), where only the systemd
# driver's suite runs by default: the rest of v1 is the host's to test.
layout=${V2_LAYOUT:-v2}
results=$out/results-$(basename "$runtime")
default_stages="go bats engines rootless bats-general"
if [ "$layout" = hybrid ]; then
	results=$results-hybrid
	default_stages=bats
	V2_BATS=${V2_BATS:-systemd}
fi
rm -rf "$results"
mkdir -p "$results"
stages=${V2_STAGES:-$default_stages}
# Seconds after the job's start by which the general suites must end.
budget=${V2_BUDGET:-2700}

# Move the job's processes (this one and the service's script that started
# it) into a child of the job's delegated cgroup, so that the job's own
# cgroup holds no process and can enable every controller for the container
# cgroups the tests create next to us (a relative cgroupsPath goes below the
# parent of the runtime's cgroup on v2).
if [ "$layout" = v2 ]; then
	own=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
	mkdir -p "$own/runner"
	for p in $(cat "$own/cgroup.procs"); do
		echo "$p" 2>/dev/null >"$own/runner/cgroup.procs" || [ ! -e "/proc/$p" ] ||
			echo "in-guest: cannot move process $p out of $own" >&2
	done
	for c in $(cat "$own/cgroup.controllers"); do
		echo "+$c" >"$own/cgroup.subtree_control" || echo "in-guest: cannot enable $c in $own" >&2
	done
fi

# Execute from the guest's disk, not from the 9p share (each exec from 9p
# costs several times as much).
work=/var/tmp/ocirun
mkdir -p $work/tests
cp -a "$repo/tests/bats" "$repo/tests/rootfs.sh" "$repo/tests/v2host" "$repo/tests/rootless" $work/tests/
mkdir -p $work/tests/bin
cp "$out/bin/recvtty" $work/tests/bin/
cp -a "$out/programs" $work/tests/programs
export TEST_PROGRAMS=$work/tests/programs
cp "$repo/config.sample.json" "$out"/bin/ocirun* $work/
cp -a "$out/rootfs" $work/rootfs
# Data files the suites read from the repo.
mkdir -p $work/libcontainer/seccomp
cp -a "$repo/libcontainer/seccomp/testdata" $work/libcontainer/seccomp/
export OCIRUN_TEST_ROOTFS=$work/rootfs
if [ "$runtime" = ocirun ]; then
	export OCIRUN=$work/ocirun
else
	OCIRUN=$(command -v "$runtime") || {
		echo "in-guest: no $runtime in the guest" >&2
		exit 1
	}
	export OCIRUN
fi

pass=0 fail=0 skip=0 bats_secs=0 bats_tests=0
count() { # count PASS FAIL SKIP STAGE
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	echo "$4: $1 passed, $2 failed, $3 skipped" | tee -a "$results/summary"
}

echo "guest: $(uname -r), PID 1 $(cat /proc/1/comm), $(nproc) CPUs, /sys/fs/cgroup: $(stat -f -c %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || ls /sys/fs/cgroup | tr '\n' ' ')"
echo "guest: runtime $($OCIRUN --version | head -n 1)"

if [[ " $stages " == *" go "* ]]; then
	for t in "$out"/gotest/*.test; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .test)
		cp "$t" $work/
		log=$results/go-$name.log
		start=$SECONDS
		(cd "$repo/$(cat "$out/gotest/$name.dir")" && nice $work/"$name.test" -test.v -test.timeout 10m) >"$log" 2>&1
		rc=$?
		p=$(grep -c -- '^\s*--- PASS' "$log")
		f=$(grep -c -- '^\s*--- FAIL' "$log")
		s=$(grep -c -- '^\s*--- SKIP' "$log")
		# A crash or a failing TestMain has no "--- FAIL" line.
		[ $rc = 0 ] || [ "$f" -gt 0 ] || f=1
		count "$p" "$f" "$s" "go $name ($((SECONDS - start)) s)"
		[ "$f" = 0 ] || grep -B2 -A20 -- '--- FAIL' "$log" | head -n 60
	done
fi

# bats_stage NAME FILE...: one bats run over the suites that exist.
bats_stage() {
	local name=$1 f files=() start=$SECONDS tap=$results/bats-$1.tap p s n
	shift
	for f in "$@"; do
		[ -f $work/tests/bats/$f.bats ] && files+=("$work/tests/bats/$f.bats")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	# Everything is several times slower here than on a host.
	OCIRUN_TIMEOUT=180 OCIRUN_TEST_SLOWDOWN=4 unshare -m --propagation private \
		bats --tap ${V2_BATS_FILTER:+--filter "$V2_BATS_FILTER"} "${files[@]}" </dev/null >"$tap" 2>&1
	p=$(grep -Ec '^ok ' "$tap")
	s=$(grep -Ec '^ok .* # skip' "$tap")
	n=$(grep -Ec '^not ok ' "$tap")
	count $((p - s)) "$n" "$s" "bats $name: ${files[*]##*/} ($((SECONDS - start)) s)"
	bats_secs=$((bats_secs + SECONDS - start)) bats_tests=$((bats_tests + p + n))
	grep -E '^not ok|# skip' "$tap"
	[ "$n" = 0 ] || grep -A30 '^not ok' "$tap" | head -n 150
}

engines_stage() {
	local start=$SECONDS tap=$results/engines.tap p s f
	bash $work/tests/v2host/engines.sh >"$tap" 2>"$results/engines.log"
	p=$(grep -Ec '^ok ' "$tap")
	s=$(grep -Ec '^ok .* # skip' "$tap")
	f=$(grep -Ec '^not ok ' "$tap")
	count $((p - s)) "$f" "$s" "engines ($((SECONDS - start)) s)"
	cat "$tap"
	[ "$f" = 0 ] || tail -n 40 "$results/engines.log"
}

# rootless_stage: rootless.bats alone (the other files of run.sh's default
# list do not fit the guest's time); run.sh's exit status fails the stage
# also for what its TAP does not show (leftovers, a setup that failed).
rootless_stage() {
	local start=$SECONDS tap=$results/rootless.tap p s n rc=0
	OCIRUN_TIMEOUT=180 OCIRUN_TEST_SLOWDOWN=4 NO_INSTALL=1 ROOTLESS_TIMEOUT=900 \
		ROOTLESS_FILTER=${V2_BATS_FILTER:-} bash $work/tests/rootless/run.sh tests/bats/rootless.bats \
		</dev/null >"$results/rootless.log" 2>&1 || rc=$?
	cp "$work/build/rootless-$(basename "$OCIRUN").tap" "$tap" 2>/dev/null || : >"$tap"
	p=$(grep -Ec '^ok ' "$tap")
	s=$(grep -Ec '^ok .* # skip' "$tap")
	n=$(grep -Ec '^not ok ' "$tap")
	[ $rc = 0 ] || [ "$n" -gt 0 ] || n=1
	count $((p - s)) "$n" "$s" "rootless: rootless.bats as an unprivileged account ($((SECONDS - start)) s)"
	# Not counted in the pace: the account's setup and its delegated
	# subtree make each test of this stage several times dearer than a
	# general suite's, and would skip a suite that fits.
	grep -E '^not ok|# skip' "$tap"
	[ $rc = 0 ] || tail -n 60 "$results/rootless.log"
}

# general_stage FILE: one of the general suites, run only when, at the pace
# of this lane's tests so far, it ends within the budget; otherwise its
# tests count as skipped, by name, rather than cut off by the guest's limit.
general_stage() {
	local f=$1 n est
	[ -f $work/tests/bats/$f.bats ] || return 0
	n=$(grep -c '^@test' $work/tests/bats/$f.bats)
	est=$((n * bats_secs / (bats_tests > 0 ? bats_tests : 1)))
	if [ $((SECONDS + est)) -gt "$budget" ]; then
		count 0 0 "$n" "bats $f: skipped, its $n tests (~$est s at this guest's pace) would overrun the time budget of $budget s (V2_BUDGET)"
		return 0
	fi
	bats_stage "$f" "$f"
}

# lane STAGE...: stages one after the other. Two lanes run side by side, so
# that the guest keeps both its CPUs busy (a bats run keeps about one); each
# test has its own --root, cgroups, bundle and mount namespace, the engines
# their own daemons and the rootless stage its own account. The v2- and
# systemd-specific suites, the engines and the rootless tests come first in
# their lanes: when the budget cuts a slow run short, the general suites
# are what is lost.
lane() {
	local stage
	for stage in "$@"; do
		case $stage in
		bats) bats_stage v2 ${V2_BATS:-cgroups_v2 cgroups systemd} ;;
		engines) engines_stage ;;
		rootless) rootless_stage ;;
		general:*) general_stage "${stage#general:}" ;;
		*) echo "in-guest: unknown stage $stage" >&2 ;;
		esac
	done
}

lanes=("" "")
for stage in $stages; do
	case $stage in
	go) ;;
	bats) lanes[0]+=" bats" ;;
	engines | rootless) lanes[1]+=" $stage" ;;
	bats-general)
		# Alternately, starting with the lane of the shorter stages:
		# by default security and exec beside the engines and rootless,
		# lifecycle after the v2 suites.
		i=1
		for f in ${V2_BATS_GENERAL:-security lifecycle exec}; do
			lanes[i]+=" general:$f"
			i=$((1 - i))
		done
		;;
	*) echo "in-guest: unknown stage $stage" >&2 ;;
	esac
done
for i in 0 1; do
	[ -n "${lanes[i]}" ] || continue
	# shellcheck disable=SC2086 # the stage names are words
	lane ${lanes[i]} >"$results/lane$i.log" 2>&1 &
	lane_pids[i]=$!
done
for i in 0 1; do
	[ -z "${lane_pids[i]:-}" ] || wait "${lane_pids[i]}"
	[ ! -f "$results/lane$i.log" ] || cat "$results/lane$i.log"
done

read -r pass fail skip < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$results/summary" |
	awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}')
line="$layout: $pass passed, $fail failed, $skip skipped"
echo "$line" >>"$results/summary"
[ "$fail" = 0 ]
