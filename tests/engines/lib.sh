# shellcheck shell=bash
# Helpers shared by the engine scenarios: assertions, engine front ends and
# the scenario runner. Sourced by inner.sh and by every scenario's own bash.

# --- assertions --------------------------------------------------------------
# A scenario runs under `set -Eeuo pipefail`: any failing command fails it.
# These add a message naming what was expected.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_eq WHAT WANT GOT
expect_eq() {
	[[ "$2" == "$3" ]] || fail "$1: want '$2', got '$3'"
	echo "ok: $1 = '$3'"
}

# expect_match WHAT REGEX GOT
expect_match() {
	[[ "$3" =~ $2 ]] || fail "$1: '$3' does not match /$2/"
	echo "ok: $1 ~ /$2/"
}

# expect_nomatch WHAT REGEX GOT
expect_nomatch() {
	[[ ! "$3" =~ $2 ]] || fail "$1: '$3' matches /$2/"
	echo "ok: $1 !~ /$2/"
}

# expect_status WANT CMD... : run CMD, check its exit status; its output is
# left in $out (stdout and stderr together).
expect_status() {
	local want=$1 got=0
	shift
	out=$("$@" 2>&1) || got=$?
	printf '%s\n' "$out"
	[[ "$got" == "$want" ]] || fail "'$*' exited $got, want $want"
	echo "ok: '$*' exited $got"
}

# retry N DELAY CMD... : CMD until it succeeds, at most N times.
retry() {
	local n=$1 delay=$2 i
	shift 2
	for ((i = 1; i <= n; i++)); do
		"$@" && return 0
		sleep "$delay"
	done
	echo "retry: '$*' failed $n times" >&2
	return 1
}

# skip REASON : end the scenario as skipped.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# hex capability mask of the process matching FIELD in /proc/self/status text
cap_has() { # MASKHEX BIT
	(((0x$1 >> $2) & 1))
}

# --- engine front ends -------------------------------------------------------

pm() {
	podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" --storage-driver overlay \
		--cgroup-manager cgroupfs --events-backend file --runtime "$RT_NAME" "$@"
}

ctr_() {
	ctr --address "$CTD_SOCK" "$@"
}

# ctr in the default namespace with the runtime under test
ctrd() {
	ctr --address "$CTD_SOCK" -n ocirun-e2e "$@"
}

cri() {
	"$BUILD_DIR/cri-client" --endpoint "unix://$CTD_SOCK" "$@"
}

# the runtime under test, as the engines call it (through the wrapper)
rt() {
	"$RT_WRAPPER" "$@"
}

# cgroup_dir PID CONTROLLER : the v1 cgroup directory of PID for CONTROLLER,
# or with CONTROLLER "" its cgroup2 directory, as seen here.
cgroup_dir() {
	local pid=$1 ctrl=$2 line n ctrls path
	while IFS= read -r line; do
		n=${line%%:*}
		ctrls=${line#*:}
		path=${ctrls#*:}
		ctrls=${ctrls%%:*}
		if [[ -z "$ctrl" && "$n" == 0 ]]; then
			if [[ "$(stat -f -c %T /sys/fs/cgroup)" == cgroup2fs ]]; then
				echo "/sys/fs/cgroup$path"
			else
				echo "/sys/fs/cgroup/unified$path"
			fi
			return 0
		fi
		if [[ -n "$ctrl" && ",$ctrls," == *",$ctrl,"* ]]; then
			echo "/sys/fs/cgroup/$ctrl$path"
			return 0
		fi
	done <"/proc/$pid/cgroup"
	echo "cgroup_dir: pid $pid has no '$ctrl' cgroup" >&2
	return 1
}

cgroup_v2() { [[ "$(stat -f -c %T /sys/fs/cgroup)" == cgroup2fs ]]; }

# The namespace inode of PID, e.g. ns_of 1234 net -> net:[4026531992]
ns_of() { readlink "/proc/$1/ns/$2"; }

# Strip the CRs a terminal adds.
nocr() { tr -d '\r'; }

# squash TEXT : its words on one line, separated by single spaces.
squash() { tr -s '[:space:]' ' ' <<<"$1" | sed 's/^ //; s/ $//'; }
