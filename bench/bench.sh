#!/bin/bash
# make bench: compare ocirun with runc and crun on the same busybox bundle.
#
#   bash bench/bench.sh            (run as root; results on stdout and in bench/RESULTS.md)
#
# Knobs (environment): BENCH_RUNS timed runs per round (5), BENCH_ROUNDS
# rounds (8), BENCH_WARMUP warmup runs per round (3), BENCH_N containers in
# the many-containers phase (100), BENCH_KEEP=1 keeps the temp dir.
#
# Every runtime runs inside ONE private mount namespace in which the hybrid
# layout's cgroup2 mount at /sys/fs/cgroup/unified is unmounted: crun refuses
# the hybrid layout, and the comparison is only fair if all three see the
# same cgroup view. Each runtime has its own --root under a temp dir.
# Timings are interleaved: each benchmark runs in rounds, and every round
# runs the three runtimes in a rotated order; the samples of all rounds are
# pooled.
#
# The script calls itself: "__inner T" does the measuring inside the
# namespace, "__prep ACTION RT ID" is hyperfine's --prepare/--cleanup helper,
# "__cleanup T" deletes every container and cgroup the bench made.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
REPO=$(dirname "$HERE")
RTS=(ocirun runc crun)
# Parent of every container cgroup (relative cgroupsPath, so it nests
# under the cgroup the bench runs in).
CGPARENT=ocirun-bench
# The container process of the long-lived containers; the odd number only
# makes a stray one easy to recognise.
SLEEP_ARGS='["/bin/sleep","1799"]'

RUNS=${BENCH_RUNS:-5}
ROUNDS=${BENCH_ROUNDS:-8}
WARMUP=${BENCH_WARMUP:-3}
N=${BENCH_N:-100}

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- helpers

declare -A BIN
load_bins() {
	BIN[ocirun]=${BENCH_BIN_ocirun:-$REPO/ocirun}
	BIN[runc]=${BENCH_BIN_runc:-$(command -v runc || true)}
	BIN[crun]=${BENCH_BIN_crun:-$(command -v crun || true)}
}

# rtc RT ARGS...: the runtime RT with its own state dir.
rtc() {
	local rt=$1
	shift
	"${BIN[$rt]}" --root "$T/root/$rt" "$@"
}

bundle() { printf '%s/b/%s/%s' "$T" "$1" "$2"; }
pidfile() { printf '%s/pid/%s-%s' "$T" "$1" "$2"; }

# mkbundle RT ID ARGS_JSON: a bundle with only a config.json; root.path is
# the shared rootfs, cgroupsPath is unique per container.
mkbundle() {
	local rt=$1 id=$2 args=$3 dir
	dir=$(bundle "$rt" "$id")
	mkdir -p "$dir"
	jq --arg root "$T/rootfs" --arg cg "$CGPARENT/$rt-$id" --argjson args "$args" \
		'.root.path = $root | .linux.cgroupsPath = $cg | .process.args = $args' \
		"$T/config.tmpl.json" >"$dir/config.json"
}

# Container states for hyperfine's --prepare / --cleanup.
prep() {
	local action=$1 rt=$2 id=$3
	case $action in
	absent)
		rtc "$rt" delete -f "$id" >/dev/null 2>&1 || true
		;;
	created)
		prep absent "$rt" "$id"
		rm -f "$(pidfile "$rt" "$id")"
		rtc "$rt" create --bundle "$(bundle "$rt" "$id")" --pid-file "$(pidfile "$rt" "$id")" "$id" \
			</dev/null >/dev/null
		;;
	stopped)
		prep created "$rt" "$id"
		"$T/startwait" "$(pidfile "$rt" "$id")" "${BIN[$rt]}" --root "$T/root/$rt" start "$id" \
			</dev/null >/dev/null
		;;
	running)
		prep created "$rt" "$id"
		rtc "$rt" start "$id" </dev/null >/dev/null
		;;
	*) die "prep: unknown action $action" ;;
	esac
}

metric() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$T/metrics.tsv"; }

# hf NAME RT_LIST CMDFN [PREPFN]: hyperfine, interleaved. CMDFN RT prints the
# command, PREPFN RT prints the --prepare command (--cleanup puts the
# container away after the last run).
hf() {
	local name=$1 rts=$2 cmdfn=$3 prepfn=${4:-} r k rt cmd
	local -a list opts
	read -r -a list <<<"$rts"
	mkdir -p "$T/json/$name"
	log "$name"
	for ((r = 0; r < ROUNDS; r++)); do
		for ((k = 0; k < ${#list[@]}; k++)); do
			rt=${list[$(((k + r) % ${#list[@]}))]}
			[ -e "$T/json/$name/$rt.failed" ] && continue
			cmd=$($cmdfn "$rt")
			opts=(-N --style basic --warmup "$WARMUP" --runs "$RUNS"
				--export-json "$T/json/$name/$rt.$r.json" --command-name "$rt")
			if [ -n "$prepfn" ]; then
				opts+=(--prepare "$($prepfn "$rt")" --cleanup "bash $SELF __prep absent $rt $name")
			fi
			if ! hyperfine "${opts[@]}" "$cmd" </dev/null >>"$T/hyperfine.log" 2>&1; then
				log "$name: $rt failed (see below); its cell is left empty"
				tail -n 5 "$T/hyperfine.log" >&2
				: >"$T/json/$name/$rt.failed"
				rm -f "$T/json/$name/$rt.$r.json"
				prep absent "$rt" "$name"
			fi
		done
	done
}

# Peak RSS (KiB) of one command, via GNU time; empty if it failed.
peak_rss() {
	local out="$T/time.out"
	if /usr/bin/time -f %M -o "$out" "$@" </dev/null >/dev/null 2>>"$T/rss.log"; then
		tail -n 1 "$out"
	fi
}

median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}'; }

# count_procs NSFILE: "ORPHANS INSIDE SLEEPS". The bench runs under
# bench/subreaper, so a process a runtime leaves behind in our pid namespace
# is a child of the subreaper ($PPID) other than this shell; INSIDE counts
# the processes in the pid namespaces listed in NSFILE (our containers'),
# SLEEPS those of them that are the container's own `sleep`.
count_procs() {
	local hostns
	hostns=$(stat -L -c %i /proc/self/ns/pid)
	ps -e -o pid=,ppid=,pidns=,comm= >"$T/ps.out"
	awk -v reaper="$PPID" -v me="$$" -v hostns="$hostns" '
		FILENAME == ARGV[1] { want[$1] = 1; next }
		$2 == reaper && $1 != me && $3 == hostns { orphans++ }
		($3 in want) { inside++; if ($4 == "sleep") sleeps++ }
		END { printf "%d %d %d\n", orphans, inside, sleeps }
	' "$1" "$T/ps.out"
}

# pidns_of PIDFILE...: the pid namespace inode of each pid.
pidns_of() {
	local f
	for f in "$@"; do
		stat -L -c %i "/proc/$(cat "$f")/ns/pid"
	done
}

# ------------------------------------------------------------------ setup

need() { # need CMD PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q "$2" </dev/null >/dev/null; then
		apt-get update -q </dev/null >/dev/null
		apt-get install -y -q "$2" </dev/null >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || die "$2 did not install $1"
}

install_deps() {
	need hyperfine hyperfine
	[ -x /usr/bin/time ] || { need_time=1; }
	if [ -n "${need_time:-}" ]; then
		log "installing time with apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q time </dev/null >/dev/null ||
			{ apt-get update -q </dev/null >/dev/null && apt-get install -y -q time </dev/null >/dev/null; }
		[ -x /usr/bin/time ] || die "time did not install /usr/bin/time"
	fi
	need runc runc
	need crun crun
	need jq jq
	need python3 python3
	need cc gcc
	need musl-gcc musl-tools
	need unshare util-linux
	need ps procps
	# tests/rootfs.sh installs busybox-static itself when it is missing.
}

go_bin() { command -v go 2>/dev/null || echo /usr/local/go/bin/go; }

setup() {
	mkdir -p "$T/root" "$T/b" "$T/pid" "$T/json"
	for rt in "${RTS[@]}"; do mkdir -p "$T/root/$rt"; done
	"$REPO/tests/rootfs.sh" "$T/rootfs" >&2
	mkdir -p "$T/gohello"
	printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$T/gohello/main.go"
	(cd "$T/gohello" && CGO_ENABLED=0 GOFLAGS='' GO111MODULE=off "$(go_bin)" build -o "$T/gohello/hello" main.go)

	"${BIN[ocirun]}" spec --bundle "$T"
	jq '.process.terminal = false | .process.args = ["/bin/true"]' "$T/config.json" >"$T/config.tmpl.json"
	rm -f "$T/config.json"

	# crun 1.8 knows runtime-spec versions only up to the one it was built
	# with; use a version it accepts, for all three, so they read one config.
	mkbundle crun probe '["/bin/true"]'
	if ! rtc crun run --bundle "$(bundle crun probe)" probe </dev/null >"$T/probe.log" 2>&1; then
		if grep -q 'unknown version' "$T/probe.log"; then
			log "crun rejects ociVersion $(jq -r .ociVersion "$T/config.tmpl.json"); using 1.1.0 for all"
			jq '.ociVersion = "1.1.0"' "$T/config.tmpl.json" >"$T/config.tmp" && mv "$T/config.tmp" "$T/config.tmpl.json"
		else
			cat "$T/probe.log" >&2
			die "crun cannot run the bench bundle"
		fi
	fi
	prep absent crun probe

	# Every runtime must run /bin/true and delete it afterwards by itself.
	for rt in "${RTS[@]}"; do
		mkbundle "$rt" probe '["/bin/true"]'
		rtc "$rt" run --bundle "$(bundle "$rt" probe)" probe </dev/null >"$T/probe.log" 2>&1 ||
			{ cat "$T/probe.log" >&2; die "$rt cannot run the bench bundle"; }
		if rtc "$rt" state probe >/dev/null 2>&1; then
			die "$rt run did not delete the container; the run benchmark would need a delete step"
		fi
		for id in run create start delete; do
			mkbundle "$rt" "$id" '["/bin/true"]'
		done
		mkbundle "$rt" exec-s "$SLEEP_ARGS"
		# The same with the Docker/podman-style default seccomp profile that
		# engines put in every config.
		mkbundle "$rt" exec-sc "$SLEEP_ARGS"
		jq --slurpfile sc "$REPO/libcontainer/seccomp/testdata/default-profile.json" '.linux.seccomp = $sc[0]' \
			"$(bundle "$rt" exec-sc)/config.json" >"$T/sc.json" && mv "$T/sc.json" "$(bundle "$rt" exec-sc)/config.json"
		mkbundle "$rt" hold "$SLEEP_ARGS"
		mkbundle "$rt" rss '["/bin/true"]'
		mkbundle "$rt" rss-s "$SLEEP_ARGS"
		for ((i = 1; i <= N; i++)); do mkbundle "$rt" "c$i" "$SLEEP_ARGS"; done
	done
}

# ------------------------------------------------------------- benchmarks

c_floor_unshare() { echo "unshare --fork --pid --mount --uts --ipc --net /bin/true"; }
c_floor_go() { echo "$T/gohello/hello"; }
c_floor_startwait() { echo "$T/startwait - /bin/true"; }
c_run() { echo "${BIN[$1]} --root $T/root/$1 run --bundle $(bundle "$1" run) run"; }
p_idle() { echo "sleep 0.05"; }
c_create() { echo "${BIN[$1]} --root $T/root/$1 create --bundle $(bundle "$1" create) create"; }
p_create() { echo "bash $SELF __prep absent $1 create"; }
c_start() { echo "$T/startwait $(pidfile "$1" start) ${BIN[$1]} --root $T/root/$1 start start"; }
p_start() { echo "bash $SELF __prep created $1 start"; }
c_delete() { echo "${BIN[$1]} --root $T/root/$1 delete delete"; }
p_delete() { echo "bash $SELF __prep stopped $1 delete"; }
c_exec() { echo "${BIN[$1]} --root $T/root/$1 exec exec-s /bin/true"; }
c_exec_sc() { echo "${BIN[$1]} --root $T/root/$1 exec exec-sc /bin/true"; }
c_state1() { echo "${BIN[$1]} --root $T/root/$1 state exec-s"; }
c_list() { echo "${BIN[$1]} --root $T/root/$1 list"; }
c_stateN() { echo "${BIN[$1]} --root $T/root/$1 state c$((N / 2))"; }

# The memory a created container costs: RSS and PSS of the process that
# holds it (the pid the runtime reports), and how many other processes of
# ours exist while it is created.
measure_holder() {
	local rt=$1 i pid rss pss extra
	for ((i = 0; i < 3; i++)); do
		prep created "$rt" hold
		pid=$(cat "$(pidfile "$rt" hold)")
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
		pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
		pidns_of "$(pidfile "$rt" hold)" >"$T/ns.list"
		# Orphans in our pid namespace plus processes in the container's
		# pid namespace other than the holder itself.
		extra=$(count_procs "$T/ns.list" | awk '{print $1 + $2 - 1}')
		# Whether the runtime put the container into its cgroup: a runtime
		# that skips cgroups also skips their cost.
		if grep -q "/$CGPARENT/$rt-hold\$" "/proc/$pid/cgroup"; then
			metric cgroup_joined "$rt" yes
		else
			metric cgroup_joined "$rt" no
		fi
		echo "$rss $pss $extra $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-40)" >>"$T/holder.$rt"
		prep absent "$rt" hold
	done
	metric holder_rss "$rt" "$(awk '{print $1}' "$T/holder.$rt" | median)"
	metric holder_pss "$rt" "$(awk '{print $2}' "$T/holder.$rt" | median)"
	metric holder_extra "$rt" "$(awk '{print $3}' "$T/holder.$rt" | sort -n | tail -n 1)"
	metric holder_cmd "$rt" "$(head -n 1 "$T/holder.$rt" | cut -d' ' -f4- | sed 's/ *$//')"
}

measure_rss() {
	local rt=$1 i cmd
	local -a B=("${BIN[$rt]}" --root "$T/root/$rt")
	for ((i = 0; i < 3; i++)); do
		echo "run $(peak_rss "${B[@]}" run --bundle "$(bundle "$rt" rss)" rss)"
		echo "create $(peak_rss "${B[@]}" create --bundle "$(bundle "$rt" rss)" --pid-file "$(pidfile "$rt" rss)" rss)"
		echo "state $(peak_rss "${B[@]}" state rss)"
		echo "list $(peak_rss "${B[@]}" list)"
		# The wrapper is a few hundred KiB; the maximum is the runtime's.
		echo "start $(peak_rss "$T/startwait" "$(pidfile "$rt" rss)" "${B[@]}" start rss)"
		echo "delete $(peak_rss "${B[@]}" delete rss)"
		prep running "$rt" rss-s
		echo "exec $(peak_rss "${B[@]}" exec rss-s /bin/true)"
		echo "kill $(peak_rss "${B[@]}" kill rss-s KILL)"
		sleep 0.05
		echo "delete-f $(peak_rss "${B[@]}" delete -f rss-s)"
		prep absent "$rt" rss
		prep absent "$rt" rss-s
	done >"$T/rss.$rt"
	for cmd in run create start delete exec state list kill delete-f; do
		metric "rss_$cmd" "$rt" "$(awk -v c="$cmd" '$1 == c && NF == 2 {print $2}' "$T/rss.$rt" | median)"
	done
}

# many MODE RT: create+start N containers (seq or par2), timing each.
many_up() {
	local mode=$1 rt=$2 t0 t1 w
	local out="$T/many.$mode.$rt"
	: >"$out"
	up_range() { # FROM STEP
		local i a b
		for ((i = $1; i <= N; i += $2)); do
			a=$EPOCHREALTIME
			if rtc "$rt" create --bundle "$(bundle "$rt" "c$i")" --pid-file "$(pidfile "$rt" "c$i")" "c$i" \
				</dev/null >/dev/null 2>>"$T/many.err" &&
				rtc "$rt" start "c$i" </dev/null >/dev/null 2>>"$T/many.err"; then
				b=$EPOCHREALTIME
				echo "$i $a $b"
			else
				echo "$i fail"
			fi
		done
	}
	t0=$EPOCHREALTIME
	if [ "$mode" = seq ]; then
		up_range 1 1 >>"$out"
	else
		for ((w = 1; w <= 2; w++)); do up_range "$w" 2 >"$out.$w" & done
		wait
		cat "$out.1" "$out.2" | sort -n >>"$out"
		rm -f "$out.1" "$out.2"
	fi
	t1=$EPOCHREALTIME
	metric "many_${mode}_up_total" "$rt" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')"
	metric "many_${mode}_fail" "$rt" "$(grep -c ' fail$' "$out" || true)"
	# Per-container cost: median of the first 10 and of the last 10 in
	# start order (medians, because other load on the host makes outliers).
	metric "many_${mode}_first10" "$rt" "$(awk '$2 != "fail"' "$out" | sort -k2,2n | head -n 10 | awk '{printf "%.5f\n", $3 - $2}' | median)"
	metric "many_${mode}_last10" "$rt" "$(awk '$2 != "fail"' "$out" | sort -k2,2n | tail -n 10 | awk '{printf "%.5f\n", $3 - $2}' | median)"
	# Create+start is bimodal here (a cgroup v1 migration waits for an RCU
	# grace period or not), which makes the medians of 10 jumpy; the 25th
	# percentile of the first and last quarter tracks the fast mode.
	local q=$((N / 4))
	metric "many_${mode}_firstq_p25" "$rt" "$(awk '$2 != "fail"' "$out" | sort -k2,2n | head -n "$q" | awk '{printf "%.5f\n", $3 - $2}' | sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+3)/4)]}')"
	metric "many_${mode}_lastq_p25" "$rt" "$(awk '$2 != "fail"' "$out" | sort -k2,2n | tail -n "$q" | awk '{printf "%.5f\n", $3 - $2}' | sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+3)/4)]}')"
}

many_down() {
	local mode=$1 rt=$2 t0 t1 w
	down_range() {
		local i
		for ((i = $1; i <= N; i += $2)); do
			rtc "$rt" kill "c$i" KILL >/dev/null 2>&1 || true
			rtc "$rt" delete -f "c$i" >/dev/null 2>>"$T/many.err" || echo "c$i" >>"$T/many.downfail"
		done
	}
	t0=$EPOCHREALTIME
	if [ "$mode" = seq ]; then
		down_range 1 1
	else
		for ((w = 1; w <= 2; w++)); do down_range "$w" 2 & done
		wait
	fi
	t1=$EPOCHREALTIME
	metric "many_${mode}_down_total" "$rt" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')"
}

inner() {
	T=$1
	export BENCH_T=$T
	load_bins
	# Private to this namespace (we were started by unshare -m with
	# private propagation): the host keeps its cgroup2 mount.
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		grep -q ' /sys/fs/cgroup/unified .* cgroup2 ' /proc/self/mountinfo &&
			die "/sys/fs/cgroup/unified is still a cgroup2 mount"
		# crun (v1 mode) still makes the "0::" hierarchy's directories and
		# cgroup.procs under /sys/fs/cgroup/unified, as plain files: without
		# this private tmpfs they would land on the host's /sys/fs/cgroup
		# tmpfs, hidden under its cgroup2 mount.
		mount -t tmpfs -o size=4m,mode=0755 ocirun-bench /sys/fs/cgroup/unified
	fi

	setup
	local rt
	: >"$T/metrics.tsv"

	hf floor-unshare floor c_floor_unshare
	hf floor-go floor c_floor_go
	hf floor-startwait floor c_floor_startwait
	hf run "${RTS[*]}" c_run
	# The same, 50 ms idle before each run: each create then pays the RCU
	# grace period of a cgroup v1 migration (see bench/README.md), which
	# back-to-back runs of a fast runtime partly skip.
	hf run-idle "${RTS[*]}" c_run p_idle
	hf create "${RTS[*]}" c_create p_create
	hf start "${RTS[*]}" c_start p_start
	hf delete "${RTS[*]}" c_delete p_delete

	for rt in "${RTS[@]}"; do prep running "$rt" exec-s; done
	hf exec "${RTS[*]}" c_exec
	for rt in "${RTS[@]}"; do prep running "$rt" exec-sc; done
	hf exec-seccomp "${RTS[*]}" c_exec_sc
	for rt in "${RTS[@]}"; do prep absent "$rt" exec-sc; done
	hf state-1 "${RTS[*]}" c_state1
	hf list-1 "${RTS[*]}" c_list
	for rt in "${RTS[@]}"; do prep absent "$rt" exec-s; done

	log "memory of a created container"
	for rt in "${RTS[@]}"; do measure_holder "$rt"; done
	log "peak RSS per command"
	for rt in "${RTS[@]}"; do measure_rss "$rt"; done

	log "$N containers, sequential"
	local counts
	for rt in "${RTS[@]}"; do
		many_up seq "$rt"
		# Let every `start` finish its exec before counting.
		sleep 0.2
		pidns_of "$T/pid/$rt"-c* >"$T/ns.list" 2>/dev/null || true
		counts=$(count_procs "$T/ns.list")
		# Runtime processes: orphans in our pid namespace, and any process
		# in a container's pid namespace that is not its `sleep`.
		metric left_procs "$rt" "$(echo "$counts" | awk '{print $1 + $2 - $3}')"
		metric running_sleeps "$rt" "$(echo "$counts" | awk '{print $3}')"
	done
	hf "state-$N" "${RTS[*]}" c_stateN
	hf "list-$N" "${RTS[*]}" c_list
	for rt in "${RTS[@]}"; do many_down seq "$rt"; done
	log "$N containers, 2 parallel workers"
	for rt in "${RTS[@]}"; do
		many_up par2 "$rt"
		many_down par2 "$rt"
	done
}

# Delete every container in our state dirs and every cgroup under
# CGPARENT. Runs in its own namespace with cgroup2 unmounted, like inner.
cleanup() {
	T=$1
	load_bins
	local rt d id
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		# Plain files an unmasked crun may have left on the tmpfs below.
		if [ -d "/sys/fs/cgroup/unified/$CGPARENT" ] && ! mountpoint -q /sys/fs/cgroup/unified &&
			[ "$(stat -f -c %T /sys/fs/cgroup/unified)" = tmpfs ] &&
			! grep -q ' /sys/fs/cgroup/unified/' /proc/self/mountinfo; then
			rm -rf "/sys/fs/cgroup/unified/$CGPARENT"
		fi
		mount -t tmpfs -o size=4m,mode=0755 ocirun-bench /sys/fs/cgroup/unified
	fi
	for rt in "${RTS[@]}"; do
		d="$T/root/$rt"
		[ -d "$d" ] && [ -n "${BIN[$rt]}" ] || continue
		for id in $(rtc "$rt" list -q 2>/dev/null); do
			rtc "$rt" delete -f "$id" >/dev/null 2>&1 || log "cleanup: $rt delete -f $id failed"
		done
	done
}

# Remove the (empty) cgroups under CGPARENT in every hierarchy. Runs in
# the host's mount namespace, so it also sees the cgroup2 hierarchy that
# the bench namespace masks.
cleanup_cgroups() {
	local d leaf
	while read -r d; do
		for leaf in "$d"/*/; do
			[ -d "$leaf" ] || continue
			if [ -s "$leaf/cgroup.procs" ]; then
				log "cleanup: processes left in cgroup $leaf: $(tr '\n' ' ' <"$leaf/cgroup.procs")"
				continue
			fi
			rmdir "$leaf" 2>/dev/null || log "cleanup: cannot remove cgroup $leaf"
		done
		rmdir "$d" 2>/dev/null || log "cleanup: cannot remove cgroup $d"
	done < <(find /sys/fs/cgroup -maxdepth 8 -type d -name "$CGPARENT" 2>/dev/null)
}

outer_cleanup() {
	local st=$?
	trap - EXIT INT TERM
	[ -n "${T:-}" ] && [ -d "$T" ] || exit "$st"
	unshare -m --propagation private bash "$SELF" __cleanup "$T" || log "cleanup failed"
	cleanup_cgroups
	if grep -qF " $T" /proc/self/mountinfo; then
		log "something under $T is still mounted; not removing it"
	elif [ -n "${BENCH_KEEP:-}" ]; then
		log "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$st"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	install_deps
	log "building ocirun"
	make -C "$REPO" build >&2
	load_bins
	for rt in "${RTS[@]}"; do
		case ${BIN[$rt]} in *' '*) die "hyperfine -N cannot take a path with spaces: ${BIN[$rt]}" ;; esac
	done
	T=$(mktemp -d /tmp/ocirun-bench.XXXXXX)
	trap outer_cleanup EXIT
	trap 'exit 130' INT TERM
	cc -O2 -static -o "$T/startwait" "$HERE/startwait.c"
	cc -O2 -static -o "$T/subreaper" "$HERE/subreaper.c"
	local started=$SECONDS
	BENCH_BIN_ocirun=${BIN[ocirun]} BENCH_BIN_runc=${BIN[runc]} BENCH_BIN_crun=${BIN[crun]} \
		unshare -m --propagation private "$T/subreaper" bash "$SELF" __inner "$T"
	log "measured in $((SECONDS - started))s"
	{
		echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "nproc=$(nproc)"
		echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
		echo "mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
		echo "kernel=$(uname -r)"
		echo "cgroups=$(if [ -e /sys/fs/cgroup/cgroup.controllers ]; then echo v2; elif [ -d /sys/fs/cgroup/unified ]; then echo 'hybrid (v1 + cgroup2 at /sys/fs/cgroup/unified, unmounted for the bench)'; else echo v1; fi)"
		for rt in "${RTS[@]}"; do echo "version_$rt=$("${BIN[$rt]}" --version | head -n 1)"; done
		echo "hyperfine=$(hyperfine --version)"
		echo "runs=$((RUNS * ROUNDS)) ($ROUNDS interleaved rounds of $RUNS, $WARMUP warmup each)"
		echo "N=$N"
	} >"$T/machine.env"
	python3 "$HERE/report.py" "$T" | tee "$HERE/RESULTS.md"
}

case ${1:-} in
__inner) inner "$2" ;;
__cleanup) cleanup "$2" ;;
__prep)
	T=${BENCH_T:-}
	[ -n "$T" ] || die "__prep needs BENCH_T"
	load_bins
	prep "$2" "$3" "$4"
	;;
"") main ;;
*) die "usage: bash bench/bench.sh" ;;
esac
