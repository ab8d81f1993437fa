#!/bin/bash
# `make test-v2`: run the tests that need a pure cgroup v2 host with systemd
# as PID 1 in the guest of tests/v2host (build.sh, run.sh), in one boot.
#
#   tests/v2host/test-v2.sh             against the repo's ocirun
#   OCIRUN=runc tests/v2host/test-v2.sh against the guest's Debian runc
#   tests/v2host/test-v2.sh prepare     only the host half (below)
#   tests/v2host/test-v2.sh run         only the guest half, on what prepare left
#
# The host half copies the built binaries (make build recvtty first; the
# Makefile does) and builds the test binaries (the guest has no Go toolchain
# and no network) and a busybox rootfs into build/v2, so the guest half can
# run while the repo's binaries are rebuilt. The guest half boots the guest
# and runs in-guest.sh there. The last line is the guest's summary,
# "v2: N passed, N failed, N skipped"; build/v2/results-RUNTIME keeps the
# logs and TAP files. V2_STAGES, V2_BATS, V2_BATS_GENERAL and V2_BUDGET (see
# in-guest.sh) narrow the run; V2_TIMEOUT (seconds, default 3300) bounds it.
# A second, short boot has systemd mount the hybrid layout of cgroup v1
# hosts and runs the systemd driver's suite there (results-RUNTIME-hybrid);
# V2_LAYOUTS (default "v2 hybrid") picks the boots.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
out=$repo/build/v2
start=$SECONDS
what=${1:-all}

if [ "$what" = all ] || [ "$what" = prepare ]; then
	mkdir -p "$out/bin" "$out/gotest"
	for f in ocirun ocirun-init ocirun-exec tests/bin/recvtty; do
		[ -x "$f" ] || { echo "test-v2: $f is not built (make build recvtty)" >&2; exit 1; }
	done
	# With every helper binary that ocirun finds next to itself.
	rm -f "$out"/bin/*
	cp ocirun ocirun-* tests/bin/recvtty "$out/bin/"
	# The guest has no Go: the test programs the suites build come built.
	mkdir -p "$out/programs"
	CGO_ENABLED=0 nice "$GO" build -o "$out/programs/" ./tests/cmd/...
	# The packages whose tests exercise real cgroups and cgroup mounts.
	rm -f "$out"/gotest/*
	for pkg in libcontainer/cgroups libcontainer/rootfs; do
		name=${pkg//\//-}
		CGO_ENABLED=1 nice "$GO" test -c -o "$out/gotest/$name.test" "./$pkg"
		echo "$pkg" >"$out/gotest/$name.dir"
	done
	[ -x "$out/rootfs/bin/busybox" ] || tests/rootfs.sh "$out/rootfs" >/dev/null
	echo "test-v2: binaries ready in $((SECONDS - start)) s"
fi
[ "$what" = all ] || [ "$what" = run ] || exit 0

# The guest image: the long pole the first time (a few minutes), cached after.
t0=$SECONDS
image=$(tests/v2host/build.sh)
t_image=$((SECONDS - t0))
echo "test-v2: guest image $image ready in ${t_image} s"
# guest LAYOUT: one boot with that cgroup layout (v2, or hybrid for the
# systemd driver on a v1 host); sets p f s to its counts and returns the
# guest's status. A guest that did not finish counts what its finished
# stages report, and the unfinished run as one failure.
guest() {
	local layout=$1 rc=0 suffix= summary
	[ "$layout" = v2 ] || suffix=-$layout
	summary=$out/results-$(basename "${OCIRUN:-ocirun}")$suffix/summary
	rm -f "$summary"
	OCIRUN_GUEST_CGROUP=$layout V2_LAYOUT=$layout tests/v2host/run.sh -s "$repo" -t "${V2_TIMEOUT:-3300}" \
		-e OCIRUN -e V2_LAYOUT -e V2_STAGES -e V2_BATS -e V2_BATS_GENERAL -e V2_BUDGET -e V2_BATS_FILTER \
		-- bash tests/v2host/in-guest.sh || rc=$?
	if grep -q "^$layout: " "$summary" 2>/dev/null; then
		read -r p f s < <(sed -n "s/^$layout: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p" "$summary")
	else
		read -r p f s < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$summary" 2>/dev/null |
			awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}')
		f=$((f + 1))
		echo "$layout: $p passed, $f failed, $s skipped (the guest did not finish; exit $rc)"
		[ $rc != 0 ] || rc=1
	fi
	return $rc
}

rc=0 tp=0 tf=0 ts=0
for layout in ${V2_LAYOUTS:-v2 hybrid}; do
	guest "$layout" || rc=$?
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
done
echo "test-v2: $((SECONDS - start)) s in all (runtime ${OCIRUN:-ocirun}, exit $rc)"
echo "v2: $tp passed, $tf failed, $ts skipped"
exit $rc
