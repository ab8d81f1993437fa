#!/bin/bash
# Fault tests: a runtime killed, starved or fed garbage at any step must
# leave nothing behind that "delete --force" cannot clear.
#
#   tests/faults/run.sh [RUNTIME]      (default: the repo's ./ocirun)
#
# Run as root, in a mount namespace of its own (make test-faults does).
# Each case hurts one command (tests/cmd/faultinject kills it at its N-th
# syscall, counted over all its threads, or makes one syscall fail), then
# runs "delete --force ID" and checks that nothing of the case is left: no
# process (the adopted leftovers faultinject lists, anything in the
# container's cgroup), no cgroup directory in any hierarchy, no state
# entry, no mount. A command that outlives its timeout is a hang; a Go
# stack trace or register dump in any output is a panic.
#
# FAULT_SAMPLES (default 30) is the number of kill points of create and
# run; start, exec and delete get a third of it. FAULT_STRICT=0 only
# reports (for checking another runtime); otherwise any finding fails.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
RUNTIME=${1:-${RUNTIME:-$REPO/ocirun}}
if [[ $RUNTIME != */* ]]; then RUNTIME=$(command -v "$RUNTIME"); fi
SAMPLES=${FAULT_SAMPLES:-30}
STRICT=${FAULT_STRICT:-1}
NAME=$(basename "$RUNTIME")

if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ] && [ "${OCIRUN_TEST_HOST_MOUNTNS:-}" != 1 ]; then
	echo "faults: run in a private mount namespace: unshare -m --propagation private $0" >&2
	exit 2
fi

WORK=$(mktemp -d /tmp/ocirun-faults.XXXXXX)
FI=$WORK/faultinject
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
(cd "$REPO" && CGO_ENABLED=0 "$GO" build -o "$FI" ./tests/cmd/faultinject) || exit 2
ROOT=$WORK/root
mkdir -p "$ROOT"
# The state root on a small tmpfs of its own, which a case fills up.
mount -t tmpfs -o size=4m faults-root "$ROOT" || exit 2
BUNDLE=$WORK/bundle
mkdir -p "$BUNDLE"
"$REPO/tests/rootfs.sh" "$BUNDLE/rootfs" >/dev/null || exit 2
TAG=f$$
BASECFG=$WORK/base.json
jq '.process.terminal = false | .process.args = ["sh", "-c", "sleep 1000"] | .linux.resources.pids.limit = 64' \
	"$REPO/config.sample.json" >"$BASECFG"

cleanup() {
	for d in "$ROOT"/*; do
		[ -e "$d" ] && timeout 30 "$RUNTIME" --root "$ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	umount "$ROOT" 2>/dev/null
	grep -qF " $WORK" /proc/self/mountinfo || rm -rf "$WORK"
}
trap cleanup EXIT

# The cgroup directories of the case's cgroupsPath in every hierarchy.
OWN_CG=$(cat /proc/self/cgroup)
cgroup_dirs() {
	local cg=$1 line ctrls path mnt
	while IFS= read -r line; do
		ctrls=${line#*:}
		ctrls=${ctrls%%:*}
		path=${line#*:*:}
		if [ -z "$ctrls" ]; then
			mnt=/sys/fs/cgroup/unified
			[ -d "$mnt" ] || mnt=/sys/fs/cgroup
			# runc's rule on v2: below the parent of the own cgroup.
			[ "$mnt" = /sys/fs/cgroup ] && path=$(dirname "$path")
		else
			mnt=/sys/fs/cgroup/${ctrls#name=}
			[ -d "$mnt" ] || continue
		fi
		echo "$mnt${path%/}/$cg"
	done <<<"$OWN_CG"
}

declare -A TRIED LEFT HUNG PANIC
N=0
CASE=
ID=
CG=

new_case() {
	N=$((N + 1))
	ID=c$N
	CG=$TAG-$N
	CASE=$WORK/case$N
	mkdir -p "$CASE"
	jq --arg cg "$CG" '.linux.cgroupsPath = $cg' "${1:-$BASECFG}" >"$BUNDLE/config.json"
}

# rt ARGS...: the runtime with the case's root, bounded, output kept.
rt() {
	timeout 60 "$RUNTIME" --root "$ROOT" "$@" >>"$CASE/out" 2>&1 </dev/null
}

# hurt KIND FAULT ARGS...: run the runtime under faultinject.
hurt() {
	local fault=$1
	shift
	# shellcheck disable=SC2086
	timeout 60 "$FI" $fault -orphans "$CASE/orphans" "$RUNTIME" --root "$ROOT" "$@" >>"$CASE/out" 2>&1 </dev/null
	[ $? -eq 124 ] && echo hang >>"$CASE/findings"
	return 0
}

# finish CATEGORY: delete --force, then look for what is left.
finish() {
	local cat=$1 d pid start line f
	timeout 60 "$RUNTIME" --root "$ROOT" delete --force "$ID" >>"$CASE/out" 2>&1 </dev/null
	case $? in
	0) ;;
	124) echo "hang: delete --force" >>"$CASE/findings" ;;
	*) echo "delete --force failed" >>"$CASE/findings" ;;
	esac
	if [ -n "$(ls -A "$ROOT" 2>/dev/null)" ]; then
		echo "state entry: $(ls -A "$ROOT" | tr '\n' ' ')" >>"$CASE/findings"
		rm -rf "${ROOT:?}"/* "$ROOT"/.[!.]* 2>/dev/null
	fi
	for d in $(cgroup_dirs "$CG"); do
		if [ -d "$d" ]; then
			echo "cgroup: $d $(cat "$d/cgroup.procs" 2>/dev/null | tr '\n' ' ')" >>"$CASE/findings"
			for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
			sleep 0.1
			rmdir "$d" 2>/dev/null
		fi
	done
	if [ -f "$CASE/orphans" ]; then
		while read -r pid start; do
			line=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
			# Fields from 3 (state) on; 22 is the start time.
			read -ra f <<<"${line##*) }"
			if [ "${f[19]}" = "$start" ] && [ "${f[0]}" != Z ]; then
				echo "process: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline")" >>"$CASE/findings"
				kill -9 "$pid" 2>/dev/null
			fi
		done <"$CASE/orphans"
	fi
	if grep -qF "$BUNDLE" /proc/self/mountinfo; then
		echo "mount: $(grep -F "$BUNDLE" /proc/self/mountinfo | head -1)" >>"$CASE/findings"
	fi
	if grep -qE '^goroutine [0-9]+ |^panic: |^fatal error: |^(SIG[A-Z]+|PC=0x)|^r[a-z0-9]{2} +0x[0-9a-f]+$' "$CASE/out" 2>/dev/null; then
		echo "panic: $(grep -m1 -E '^goroutine |^panic: |^fatal error: |^SIG|^PC=' "$CASE/out")" >>"$CASE/findings"
	fi
	TRIED[$cat]=$((${TRIED[$cat]:-0} + 1))
	if [ -s "$CASE/findings" ]; then
		grep -q '^hang' "$CASE/findings" && HUNG[$cat]=$((${HUNG[$cat]:-0} + 1))
		grep -q '^panic' "$CASE/findings" && PANIC[$cat]=$((${PANIC[$cat]:-0} + 1))
		grep -qvE '^(hang|panic)' "$CASE/findings" && LEFT[$cat]=$((${LEFT[$cat]:-0} + 1))
		echo "faults: $cat ($*): $(tr '\n' ';' <"$CASE/findings")" >&2
	fi
	[ -s "$CASE/findings" ] || rm -rf "$CASE"
}

# count ARGS...: how many syscalls the command makes, then undo it.
count_syscalls() {
	local n
	"$FI" -count "$RUNTIME" --root "$ROOT" "$@" >"$CASE/count" 2>&1 </dev/null
	n=$(sed -n 's/^faultinject: syscalls: //p' "$CASE/count" | tail -1)
	echo "${n:-0}"
}

# points TOTAL K: K kill points spread over 1..TOTAL, each in its own
# stretch, at a pseudo-random place within it (seeded: runs repeat).
points() {
	local total=$1 k=$2 i lo span
	RANDOM=7
	for ((i = 0; i < k; i++)); do
		lo=$((1 + i * total / k))
		span=$(((i + 1) * total / k - i * total / k))
		echo $((lo + (span > 0 ? RANDOM % span : 0)))
	done
}

short_cfg() {
	jq '.process.args = ["sh", "-c", "echo ok"]' "$BASECFG" >"$WORK/short.json"
	echo "$WORK/short.json"
}

echo "faults: $NAME, $SAMPLES kill points for create and run"

# --- kills --------------------------------------------------------------
new_case
total=$(count_syscalls create --bundle "$BUNDLE" "$ID")
finish create-count
echo "faults: create makes $total syscalls"
for p in $(points "$total" "$SAMPLES"); do
	new_case
	hurt "-kill $p" create --bundle "$BUNDLE" "$ID"
	finish kill:create "kill at $p"
done

SHORT=$(short_cfg)
new_case "$SHORT"
total=$(count_syscalls run --bundle "$BUNDLE" "$ID")
finish run-count
echo "faults: run makes $total syscalls"
for p in $(points "$total" "$SAMPLES"); do
	new_case "$SHORT"
	hurt "-kill $p" run --bundle "$BUNDLE" "$ID"
	finish kill:run "kill at $p"
done

few=$(((SAMPLES + 2) / 3))
new_case
rt create --bundle "$BUNDLE" "$ID"
total=$(count_syscalls start "$ID")
finish start-count
for p in $(points "$total" "$few"); do
	new_case
	rt create --bundle "$BUNDLE" "$ID"
	hurt "-kill $p" start "$ID"
	finish kill:start "kill at $p"
done

new_case
rt run -d --bundle "$BUNDLE" "$ID"
total=$(count_syscalls exec "$ID" true)
finish exec-count
for p in $(points "$total" "$few"); do
	new_case
	rt run -d --bundle "$BUNDLE" "$ID"
	hurt "-kill $p" exec "$ID" true
	finish kill:exec "kill at $p"
done

new_case
rt run -d --bundle "$BUNDLE" "$ID"
total=$(count_syscalls delete --force "$ID")
finish delete-count
for p in $(points "$total" "$few"); do
	new_case
	rt run -d --bundle "$BUNDLE" "$ID"
	hurt "-kill $p" delete --force "$ID"
	finish kill:delete "kill at $p"
done

# --- injected errors ----------------------------------------------------
for f in mount:EIO write:ENOSPC openat:EMFILE clone3:EAGAIN; do
	for n in 1 2 3; do
		new_case
		hurt "-fail $f:$n" create --bundle "$BUNDLE" "$ID"
		finish "error:create" "$f:$n"
		new_case "$SHORT"
		hurt "-fail $f:$n" run --bundle "$BUNDLE" "$ID"
		finish "error:run" "$f:$n"
	done
done

# --- damaged state ------------------------------------------------------
# Each file of a created and of a running container's state directory,
# emptied, cut in half, or replaced by garbage; list must still work.
damage() {
	local f=$1 how=$2
	case $how in
	empty) : >"$f" ;;
	half) truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
	garbage) printf '\x00garbage{"' >"$f" ;;
	esac
}
for kind in created running; do
	new_case
	if [ $kind = created ]; then rt create --bundle "$BUNDLE" "$ID"; else rt run -d --bundle "$BUNDLE" "$ID"; fi
	files=$(cd "$ROOT/$ID" 2>/dev/null && find . -maxdepth 1 -type f -printf '%f\n' | sort)
	finish "state-files"
	for file in $files; do
		for how in empty half garbage; do
			new_case
			if [ $kind = created ]; then rt create --bundle "$BUNDLE" "$ID"; else rt run -d --bundle "$BUNDLE" "$ID"; fi
			damage "$ROOT/$ID/$file" $how
			rt list || echo "list failed" >>"$CASE/findings"
			rt state "$ID"
			finish "damaged:$kind" "$file $how"
		done
	done
done
# A state directory that a crash left empty must not block its id.
new_case
mkdir "$ROOT/$ID"
rt create --bundle "$BUNDLE" "$ID" || echo "create over an empty state dir failed" >>"$CASE/findings"
finish damaged:emptydir

# --- a full disk --------------------------------------------------------
for room in 0 2 6 12; do
	new_case
	fallocate -l $((4096 * 1024 - room * 1024)) "$ROOT/.fill" 2>/dev/null ||
		dd if=/dev/zero of="$ROOT/.fill" bs=1k count=$((4096 - room)) 2>/dev/null
	rt create --bundle "$BUNDLE" "$ID"
	rm -f "$ROOT/.fill"
	finish full-disk "${room}k free"
done

# --- concurrency --------------------------------------------------------
new_case
for i in $(seq 20); do
	timeout 60 "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID" >"$CASE/par$i" 2>&1 </dev/null &
done
wait
wins=$(grep -L . "$CASE"/par* | wc -l)
cat "$CASE"/par* >>"$CASE/out"
[ "$wins" -eq 1 ] || echo "same-id creates: $wins succeeded, want 1" >>"$CASE/findings"
finish parallel:same-id

new_case "$SHORT"
jobs_cg=$CG
for i in $(seq 50); do
	(
		b=$WORK/pb$i
		mkdir -p "$b"
		jq --arg cg "$jobs_cg-$i" --arg r "$BUNDLE/rootfs" \
			'.linux.cgroupsPath = $cg | .process.args = ["true"] | .root.path = $r' "$SHORT" >"$b/config.json"
		nice timeout 120 "$RUNTIME" --root "$ROOT" run --bundle "$b" "p$i" >"$CASE/life$i" 2>&1 </dev/null ||
			echo "lifecycle $i: $(tail -1 "$CASE/life$i")" >>"$CASE/findings"
		timeout 60 "$RUNTIME" --root "$ROOT" delete --force "p$i" >/dev/null 2>&1
		for d in $(cgroup_dirs "$jobs_cg-$i"); do [ -d "$d" ] && echo "cgroup: $d" >>"$CASE/findings"; done
	) &
done
wait
cat "$CASE"/life* >>"$CASE/out"
finish parallel:lifecycles

# --- mutated configs ----------------------------------------------------
# Every listed field set to every listed odd value, through create.
paths=(.ociVersion .process .process.args .process.env .process.cwd .process.user.uid .process.rlimits
	.process.capabilities.bounding .root.path .mounts .mounts[0].destination .mounts[0].options .hostname
	.linux.namespaces .linux.namespaces[0].type .linux.resources.memory.limit .linux.resources.pids.limit
	.linux.uidMappings .linux.devices .linux.seccomp)
values=(null -1 '"x"' 1e30 '[]' '{}' true '""' '[{"a":1}]' '"../../../../etc"')
for path in "${paths[@]}"; do
	for v in "${values[@]}"; do
		new_case
		jq --arg cg "$CG" "$path = $v | .linux.cgroupsPath = \$cg" "$BASECFG" >"$BUNDLE/config.json" 2>/dev/null ||
			{ finish mutation "$path=$v"; continue; }
		rt create --bundle "$BUNDLE" "$ID"
		finish mutation "$path=$v"
	done
done
jq '.' "$BASECFG" >"$BUNDLE/config.json"

# --- the table ----------------------------------------------------------
printf '\n%-20s %6s %9s %6s %7s\n' "faults: $NAME" tried leftover hung panics
bad=0
for cat in $(printf '%s\n' "${!TRIED[@]}" | grep -v -- -count | sort); do
	printf '%-20s %6d %9d %6d %7d\n' "$cat" "${TRIED[$cat]}" "${LEFT[$cat]:-0}" "${HUNG[$cat]:-0}" "${PANIC[$cat]:-0}"
	bad=$((bad + ${LEFT[$cat]:-0} + ${HUNG[$cat]:-0} + ${PANIC[$cat]:-0}))
done
echo "faults: $NAME: $bad cases with findings (details above; kept in $WORK on failure)"
if [ "$bad" -gt 0 ]; then
	trap - EXIT
	for d in "$ROOT"/*; do
		[ -e "$d" ] && timeout 30 "$RUNTIME" --root "$ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	umount "$ROOT" 2>/dev/null
	[ "$STRICT" = 0 ] || exit 1
fi
exit 0
