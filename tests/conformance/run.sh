#!/usr/bin/env bash
# OCI runtime-tools validation suite against an OCI runtime.
#
# Usage: tests/conformance/run.sh [PROGRAM...]
#   No PROGRAM: every validation program except those listed whole in
#   skip.list. Named PROGRAMs are run even when skip.list lists them whole
#   (to investigate them); assertion-level entries of skip.list still apply.
#
# Environment:
#   RUNTIME        runtime binary (default: <repo>/ocirun); made absolute
#   TEST_TIMEOUT   seconds per program before it is killed (default 60; the
#                  slowest program takes about 14 s with runc)
#   HIDE_UNIFIED=1 umount /sys/fs/cgroup/unified inside the private mount
#                  namespace (crun refuses this host's hybrid layout otherwise)
#   RUN_SKIPPED=1  also run programs that skip.list lists whole; they are
#                  reported but never counted in the totals nor the exit code
#   RUNTIME_ROOT   if set, every runtime call gets --root RUNTIME_ROOT (via a
#                  wrapper), isolating the suite's containers from others
#   OCI_VERSION    if set, a wrapper rewrites the bundle's ociVersion to it
#                  before create/run (crun 1.8 refuses "1.3.0"; use 1.1.0)
#   RESULTS_DIR    where <runtime>.tap / <runtime>.summary go (default
#                  tests/conformance/results; <runtime>.partial.* when
#                  programs are named)
#   NO_BUILD=1     reuse the programs already in tests/conformance/build
#
# Needs root. Programs run one at a time: they use fixed cgroup names.
#
# Counting. The suite's TAP is not one valid stream per program (prove chokes
# on it), so this script counts test lines itself: every line that, after
# optional indentation, starts with "ok" or "not ok". A "# SKIP" directive
# counts as skipped, a "# TODO" one too (TAP: a TODO failure is no failure).
# A not-ok line that matches an assertion-level skip.list entry of its program
# counts as skipped (known). A program listed "@retry" runs up to 3 times
# until it passes; the last run counts. A program that exits non-zero, times
# out or prints no test line adds one failure of its own. The final line is
#   N passed, N failed, N skipped
# over assertions; the exit status is 1 if any counted program failed.
#
# Safety: the `mounts` program bind-mounts the host's /etc into the bundle and
# every program removes its bundle recursively. If a runtime leaked such a
# mount into the caller's namespace, that removal would empty the real /etc.
# So the whole suite runs in its own mount namespace (unshare -m, private
# propagation) with a throwaway copy of /etc on a tmpfs bound over /etc, and
# with TMPDIR (where bundles live) on that tmpfs. After every program the
# script checks its namespace's mount table, the runtime's container list and
# the suite's cgroup names for leftovers, reports and removes them.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build="$here/build"
skiplist="$here/skip.list"
rt_module=github.com/opencontainers/runtime-tools

die() { echo "conformance: $*" >&2; exit 2; }
oneline() { tr '\n' ' ' <<<"$1"; }

if [[ "${_CONFORMANCE_INNER:-}" != 1 ]]; then
	[[ $(id -u) == 0 ]] || die "the validation programs need root"
	for tool in go unshare timeout tar gzip busybox; do
		command -v "$tool" >/dev/null || die "missing tool: $tool"
	done

	runtime=${RUNTIME:-$repo/ocirun}
	if [[ "$runtime" != */* ]]; then
		runtime=$(command -v "$runtime") || die "runtime ${RUNTIME} not found in PATH"
	fi
	[[ -e "$runtime" ]] || die "runtime $runtime does not exist (build it first)"
	runtime=$(realpath "$runtime")
	[[ -x "$runtime" ]] || die "runtime $runtime is not executable"
	export RUNTIME="$runtime"

	if [[ "${NO_BUILD:-}" != 1 ]]; then
		# The pinned version is the one in the repo's go.mod; it is requested
		# exactly (the proxy refuses @master and version lists).
		version=$(awk -v m="$rt_module" '$1 == m { print $2; exit }' "$repo/go.mod")
		[[ -n "$version" ]] || die "$rt_module not found in $repo/go.mod"
		# Run outside the repo so its go.mod/go.sum are never touched.
		mkdir -p "$build"
		moddir=$(cd "$build" && GOWORK=off GOFLAGS='' go mod download -json "$rt_module@$version" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
		[[ -d "$moddir/validation" ]] || die "cannot download $rt_module@$version"
		echo "conformance: building $rt_module@$version validation programs" >&2
		rm -rf "$build/bin.new"
		mkdir -p "$build/bin.new" "$build/run"
		# The module zip has vendor/modules.txt but no vendored code, so the
		# build must not use vendor mode; its own go.sum verifies the deps.
		(cd "$moddir" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" \
			go build -o "$build/bin.new/" ./validation/...)
		# runtimetest runs inside the busybox rootfs: it must be static.
		(cd "$moddir" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
			go build -tags "netgo osusergo" -o "$build/run/runtimetest" ./cmd/runtimetest)
		rm -rf "${build:?}/bin"
		mv "$build/bin.new" "$build/bin"

		# The rootfs mirrors the layout of the tarball runtime-tools ships
		# (bin/ with busybox and its applet links, dev/ proc/ sys/, etc/passwd
		# and etc/group), built from Debian's busybox-static so it is offline.
		busybox=$(command -v busybox)
		file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
			ldd "$busybox" 2>&1 | grep -q 'not a dynamic executable' ||
			die "$busybox is not static: apt-get install busybox-static"
		stage="$build/rootfs"
		rm -rf "$stage"
		mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/etc"
		cp "$busybox" "$stage/bin/busybox"
		for applet in $("$busybox" --list); do
			[[ "$applet" == busybox ]] || ln -s busybox "$stage/bin/$applet"
		done
		printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'daemon:x:1:1:daemon:/:/bin/false' \
			'bin:x:2:2:bin:/bin:/bin/false' 'nobody:x:65534:65534:nobody:/:/bin/false' >"$stage/etc/passwd"
		printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'bin:x:2:' 'tty:x:5:' 'nogroup:x:65534:' >"$stage/etc/group"
		tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - . |
			gzip -n >"$build/run/rootfs-amd64.tar.gz.new"
		mv "$build/run/rootfs-amd64.tar.gz.new" "$build/run/rootfs-amd64.tar.gz"
		rm -rf "$stage"
	fi
	[[ -x "$build/run/runtimetest" && -f "$build/run/rootfs-amd64.tar.gz" && -d "$build/bin" ]] ||
		die "no built programs in $build (run without NO_BUILD=1)"

	results=${RESULTS_DIR:-$here/results}
	mkdir -p "$results"
	_CONFORMANCE_RESULTS=$(realpath "$results")
	export _CONFORMANCE_RESULTS
	mounts_before=$(mktemp)
	trap 'rm -f "$mounts_before"' EXIT
	awk '{ print $5 }' /proc/self/mountinfo | sort >"$mounts_before"
	rc=0
	_CONFORMANCE_INNER=1 unshare -m --propagation private "$here/run.sh" "$@" || rc=$?
	# The namespace is gone; nothing of the suite may be mounted on the host.
	# (Other processes may mount meanwhile, so this only warns.)
	new_host=$(comm -13 "$mounts_before" <(awk '{ print $5 }' /proc/self/mountinfo | sort) || true)
	if [[ -n "$new_host" ]]; then
		echo "conformance: WARNING: new mount points on the host since the start: $(oneline "$new_host")" >&2
	fi
	exit "$rc"
fi

# ---- inside the private mount namespace ----------------------------------

scratch=$(mktemp -d /tmp/ocirun-conformance.XXXXXX)
mount -t tmpfs -o mode=0755 ocirun-conformance "$scratch"
mkdir "$scratch/etc" "$scratch/tmp" "$scratch/work"
cp -a /etc/. "$scratch/etc/"
mount --bind "$scratch/etc" /etc
if [[ "${HIDE_UNIFIED:-}" == 1 ]] && mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
fi
cleanup_scratch() {
	cd /
	# Only this namespace sees these mounts; lazily detach them so the
	# directory is empty before it is removed.
	umount -l /etc 2>/dev/null || true
	umount -l "$scratch" 2>/dev/null || true
	rmdir "$scratch" 2>/dev/null || true
}
trap cleanup_scratch EXIT
export TMPDIR="$scratch/tmp"

rt_name=$(basename "$RUNTIME")
# A run of named programs does not overwrite the whole suite's results.
result_name=$rt_name
(($# == 0)) || result_name="$rt_name.partial"
tapfile="$_CONFORMANCE_RESULTS/$result_name.tap"
summary="$_CONFORMANCE_RESULTS/$result_name.summary"
real_runtime="$RUNTIME"
if [[ -n "${RUNTIME_ROOT:-}" || -n "${OCI_VERSION:-}" ]]; then
	# The programs call $RUNTIME themselves; a wrapper adds --root and/or
	# rewrites the bundle's ociVersion before create/run.
	[[ -z "${OCI_VERSION:-}" || "$OCI_VERSION" =~ ^[0-9A-Za-z.+-]+$ ]] || die "bad OCI_VERSION $OCI_VERSION"
	mkdir -p "$scratch/wrap"
	{
		echo '#!/bin/sh'
		if [[ -n "${OCI_VERSION:-}" ]]; then
			cat <<-'WRAP'
				bundle=. cmd= prev=
				for a in "$@"; do
					case $prev in --bundle | -b) bundle=$a ;; esac
					case $a in
					--bundle=*) bundle=${a#--bundle=} ;;
					create | run) [ -n "$cmd" ] || cmd=$a ;;
					esac
					prev=$a
				done
				if [ -n "$cmd" ] && [ -f "$bundle/config.json" ]; then
			WRAP
			echo "	sed -i 's/\"ociVersion\": *\"[^\"]*\"/\"ociVersion\": \"$OCI_VERSION\"/' \"\$bundle/config.json\""
			echo 'fi'
		fi
		if [[ -n "${RUNTIME_ROOT:-}" ]]; then
			printf 'exec %q --root %q "$@"\n' "$RUNTIME" "$RUNTIME_ROOT"
		else
			printf 'exec %q "$@"\n' "$RUNTIME"
		fi
	} >"$scratch/wrap/$rt_name"
	chmod 755 "$scratch/wrap/$rt_name"
	export RUNTIME="$scratch/wrap/$rt_name"
fi

# The programs run in a private copy of the run directory (runtimetest and
# the rootfs tarball must be real files in the cwd).
cp "$build/run/runtimetest" "$build/run/rootfs-amd64.tar.gz" "$scratch/work/"
cd "$scratch/work"

# skip.list: "program | assertion ERE (empty: whole program; @retry: a racy
# program, run up to 3 times until it passes) | why".
declare -A skip_whole=() retry=()
skip_patterns="$scratch/skip-patterns"
: >"$skip_patterns"
if [[ -f "$skiplist" ]]; then
	awk -v whole="$scratch/skip-whole" -v pats="$skip_patterns" -v retries="$scratch/retry" '
		/^[[:space:]]*(#|$)/ { next }
		{
			first = index($0, "|")
			if (first == 0) { print "skip.list: no | in line " NR > "/dev/stderr"; exit 1 }
			name = substr($0, 1, first - 1)
			rest = substr($0, first + 1)
			last = 0
			for (i = length(rest); i > 0; i--) if (substr(rest, i, 1) == "|") { last = i; break }
			if (last == 0) { print "skip.list: need 3 fields in line " NR > "/dev/stderr"; exit 1 }
			pat = substr(rest, 1, last - 1)
			gsub(/^[[:space:]]+|[[:space:]]+$/, "", name)
			gsub(/^[[:space:]]+|[[:space:]]+$/, "", pat)
			if (pat == "") print name > whole
			else if (pat == "@retry") print name > retries
			else print name "\t" pat > pats
		}' "$skiplist"
	if [[ -f "$scratch/skip-whole" ]]; then
		while read -r name; do skip_whole[$name]=1; done <"$scratch/skip-whole"
	fi
	if [[ -f "$scratch/retry" ]]; then
		while read -r name; do retry[$name]=1; done <"$scratch/retry"
	fi
fi

mapfile -t all_programs < <(ls "$build/bin")
declare -A known=()
for p in "${all_programs[@]}"; do known[$p]=1; done
for p in "${!skip_whole[@]}"; do
	[[ -n "${known[$p]:-}" ]] || echo "conformance: skip.list names unknown program $p" >&2
done

explicit=0
if (($# > 0)); then
	explicit=1
	programs=()
	for p in "$@"; do
		p=${p%.t}
		[[ -n "${known[$p]:-}" ]] || die "unknown program $p (see $build/bin)"
		programs+=("$p")
	done
else
	programs=("${all_programs[@]}")
fi

# Counts one program's TAP: prints "passed failed skipped known plan tests
# yamlblocks". Patterns match the test line after "ok"/"not ok", i.e.
# "NUMBER - description", so an entry can pin one assertion by number.
count_tap() {
	awk -v prog="$1" -v patfile="$skip_patterns" '
		BEGIN {
			n = 0
			while ((getline line < patfile) > 0) {
				split(line, f, "\t")
				if (f[1] == prog) pats[n++] = f[2]
			}
			passed = failed = skipped = known = tests = yaml = 0
			plan = -1
		}
		# A program may print several TAP streams; their plans add up.
		/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = (plan < 0 ? 0 : plan) + $0; next }
		/^[ \t]*---[ \t]*$/ { yaml++; next }
		/^[ \t]*(not ok|ok)([ \t]|$)/ {
			tests++
			line = $0
			sub(/^[ \t]*/, "", line)
			notok = (line ~ /^not ok/)
			sub(/^(not ok|ok)[ \t]*/, "", line)
			directive = line
			sub(/^[0-9]*[ \t]*/, "", directive)
			if (directive ~ /^#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/) { skipped++; next }
			if (!notok) { passed++; next }
			for (i = 0; i < n; i++) if (line ~ pats[i]) { skipped++; known++; next }
			failed++
		}
		END { print passed, failed, skipped, known, plan, tests, yaml }'
}

cgroup_leftovers() {
	# Cgroups the suite creates: its fixed names, or a container id (UUID).
	find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -regextype posix-extended -type d \( -name cgrouptest \
		-o -name testdir -o -path '*/testdir/cgrouptest/container' \
		-o -regex '.*/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' \) \
		2>/dev/null | sort || true
}

# Removes the given cgroup directories, children first; rmdir refuses a
# cgroup that still has processes, so nothing alive is touched. With
# HIDE_UNIFIED=1, /sys/fs/cgroup/unified is a plain directory of the
# cgroup tmpfs here, and crun fills it with directories holding a regular
# cgroup.procs file: on tmpfs, those files go first.
remove_cgroups() {
	sort -r | while read -r d; do
		[[ -n "$d" && -d "$d" ]] || continue
		if [[ $(stat -f -c %T "$d") == tmpfs ]]; then
			find "$d" -mindepth 1 -maxdepth 1 -type f -delete
		fi
		rmdir "$d" 2>/dev/null || echo "conformance: cannot remove cgroup $d" >&2
	done
}

containers() {
	"$RUNTIME" list -q 2>/dev/null | sort || true
}

# mount point, root of the mount, fs type, source (optional fields skipped)
mount_table() {
	awk '{ for (i = 7; $i != "-"; i++) {}; print $5, $4, $(i + 1), $(i + 2) }' /proc/self/mountinfo | sort
}

{
	echo "# ocirun conformance: runtime-tools validation against $real_runtime"
	echo "# runtime version: $("$real_runtime" --version 2>&1 | head -n1)"
	echo "# started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$tapfile"
: >"$summary"

# Leftovers of an earlier, interrupted run would disturb the cgroup tests.
# (Container-id cgroups are only taken for the suite's when they are plain
# directories left on the cgroup tmpfs, see remove_cgroups.)
stale=$(cgroup_leftovers | while read -r d; do
	if [[ "$d" =~ /(cgrouptest|testdir)(/|$) || $(stat -f -c %T "$d") == tmpfs ]]; then echo "$d"; fi
done)
if [[ -n "$stale" ]]; then
	echo "conformance: removing the suite's cgroups left by an earlier run: $(oneline "$stale")" >&2
	remove_cgroups <<<"$stale"
fi
pre_cgroups=$(cgroup_leftovers)
base_containers=$(containers)
base_mounts=$(mount_table)
# Programs whose container has no mount namespace of its own.
declare -A no_mntns_programs=([linux_ns_itype]=1)
timeout_s=${TEST_TIMEOUT:-60}

tot_pass=0 tot_fail=0 tot_skip=0
prog_pass=0 prog_fail=0 prog_skip=0 prog_listed=0
sl_pass=0 sl_fail=0 sl_skip=0
failed_programs=()
start_all=$(date +%s)
printf '%-34s %6s %6s %6s  %-6s %s\n' PROGRAM ok notok skip RESULT TIME | tee -a "$summary"
for p in "${programs[@]}"; do
	listed=""
	if [[ -n "${skip_whole[$p]:-}" ]]; then
		listed=1
		if [[ $explicit == 0 && "${RUN_SKIPPED:-}" != 1 ]]; then
			prog_listed=$((prog_listed + 1))
			printf '%-34s %6s %6s %6s  %-6s\n' "$p" - - - LISTED | tee -a "$summary"
			echo "# === $p: not run (skip.list)" >>"$tapfile"
			continue
		fi
	fi
	out="$scratch/out" err="$scratch/err"
	attempt=1
	while :; do
		t0=$(date +%s.%N)
		rc=0
		timeout -k 10 "$timeout_s" "$build/bin/$p" >"$out" 2>"$err" </dev/null || rc=$?
		t1=$(date +%s.%N)
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		read -r pass fail skip known plan tests yaml < <(count_tap "$p" <"$out")
		failed=$((rc != 0 || fail > 0 || (tests == 0 && yaml > 0)))
		((failed && ${retry[$p]:-0} && attempt < 3)) || break
		{
			echo "# === $p: attempt $attempt failed (rc=$rc); racy program, run again (skip.list)"
			awk '{ print "# " $0 }' "$out"
		} >>"$tapfile"
		attempt=$((attempt + 1))
	done

	notes=()
	if ((rc == 124 || rc == 137)); then
		notes+=("exit status $rc (timeout ${timeout_s}s)")
	elif ((rc != 0)); then
		notes+=("exit status $rc")
	fi
	if ((tests == 0 && rc == 0)); then
		# Several programs (hooks, prestart, poststop, *_fail, ...) print no
		# test line at all: success is an empty "1..0" stream (or nothing),
		# failure a YAML block holding the error. Each counts as one test.
		if ((yaml > 0)); then
			notes+=("failed without a test line (see its YAML error)")
		else
			pass=1
		fi
	fi
	((plan <= 0 || plan == tests)) || notes+=("plan 1..$plan but $tests test lines")
	# Leftovers. A mount left in this namespace is the danger described at
	# the top: a runtime bug, unless the program runs a container without a
	# mount namespace (then the spec puts its mounts in the runtime's
	# namespace). Either way it is detached so later programs start clean.
	now_mounts=$(mount_table)
	if [[ "$now_mounts" != "$base_mounts" ]]; then
		added=$(comm -13 <(echo "$base_mounts") <(echo "$now_mounts") || true)
		removed=$(comm -23 <(echo "$base_mounts") <(echo "$now_mounts") || true)
		if [[ -n "$added" ]]; then
			echo "$p left mounts: $(echo "$added" | tr '\n' ';')" >>"$err"
			[[ -n "${no_mntns_programs[$p]:-}" ]] || notes+=("left mounts in the runtime's namespace: $(echo "$added" | cut -d' ' -f1 | tr '\n' ' ')")
			echo "$added" | cut -d' ' -f1 | sort -r | while read -r m; do
				umount -l "$(printf '%b' "$m")" 2>/dev/null || true
			done
		fi
		[[ -z "$removed" ]] || notes+=("removed mounts from the runtime's namespace: $(echo "$removed" | cut -d' ' -f1 | tr '\n' ' ')")
		base_mounts=$(mount_table)
	fi
	extra=$(comm -13 <(echo "$base_containers") <(containers) || true)
	if [[ -n "$extra" ]]; then
		echo "conformance: $p left containers: $(oneline "$extra"); deleting" >&2
		echo "$p left containers: $(oneline "$extra")" >>"$err"
		for id in $extra; do
			"$RUNTIME" delete -f "$id" >/dev/null 2>&1 || echo "conformance: cannot delete container $id" >&2
		done
		# What could not be deleted is not blamed on the next program.
		base_containers=$(containers)
	fi
	left=$(comm -13 <(echo "$pre_cgroups") <(cgroup_leftovers) || true)
	if [[ -n "$left" ]]; then
		echo "$p left cgroups: $(oneline "$left")" >>"$err"
		remove_cgroups <<<"$left"
	fi
	# Bundles live in $TMPDIR; whatever a program left there goes now.
	find "$TMPDIR" -mindepth 1 -maxdepth 1 -exec sh -c 'mountpoint -q "$1" || findmnt -rno TARGET | grep -qF "$1/" || rm -rf "$1"' _ {} \;

	prog_error=0
	((${#notes[@]} == 0)) || prog_error=1
	fail=$((fail + prog_error))
	if ((fail > 0)); then
		result=FAIL
	elif ((pass == 0)); then
		result=SKIP
	else
		result=PASS
	fi
	[[ -z "$listed" ]] || result="$result*"
	note=""
	((known == 0)) || note=" ($known known)"
	((attempt == 1)) || note="$note (attempt $attempt)"
	((${#notes[@]} == 0)) || note="$note [$(IFS=';'; echo "${notes[*]}")]"
	printf '%-34s %6d %6d %6d  %-6s %ss%s\n' "$p" "$pass" "$fail" "$skip" "$result" "$secs" "$note" | tee -a "$summary"

	{
		echo "# === $p: rc=$rc time=${secs}s passed=$pass failed=$fail skipped=$skip${listed:+ (on skip.list)}"
		awk 1 "$out"
		awk '{ print "# stderr: " $0 }' "$err"
	} >>"$tapfile"

	if [[ -n "$listed" && $explicit == 0 ]]; then
		# RUN_SKIPPED: reported, never counted.
		sl_pass=$((sl_pass + pass)) sl_fail=$((sl_fail + fail)) sl_skip=$((sl_skip + skip))
		continue
	fi
	tot_pass=$((tot_pass + pass)) tot_fail=$((tot_fail + fail)) tot_skip=$((tot_skip + skip))
	case $result in
	FAIL*) prog_fail=$((prog_fail + 1)); failed_programs+=("$p") ;;
	SKIP*) prog_skip=$((prog_skip + 1)) ;;
	*) prog_pass=$((prog_pass + 1)) ;;
	esac
done
elapsed=$(($(date +%s) - start_all))

{
	echo
	echo "runtime: $real_runtime"
	echo "programs: $prog_pass passed, $prog_fail failed, $prog_skip skipped-only, $prog_listed on skip.list (not run); ${elapsed}s"
	if [[ "${RUN_SKIPPED:-}" == 1 ]]; then
		echo "skip-listed programs (not counted): passed=$sl_pass failed=$sl_fail skipped=$sl_skip"
	fi
	((${#failed_programs[@]} == 0)) || echo "failed programs: ${failed_programs[*]}"
	echo "full TAP: $tapfile"
	echo "$tot_pass passed, $tot_fail failed, $tot_skip skipped"
} | tee -a "$summary"
echo "# finished $(date -u +%Y-%m-%dT%H:%M:%SZ): $tot_pass passed, $tot_fail failed, $tot_skip skipped" >>"$tapfile"
((${#failed_programs[@]} == 0))
