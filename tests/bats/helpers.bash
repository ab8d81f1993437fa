# Shared helpers for the ocirun bats suite. Every .bats file starts with
#
#   load helpers
#   setup() { setup_bundle; }      # optional: a fresh bundle in $BUNDLE
#   teardown() { teardown_containers; }
#
# The runtime under test is $OCIRUN (default: the repo's ./ocirun). The same
# suite runs against runc with OCIRUN=runc, which is how the tests
# themselves are checked.
#
# The whole run must happen in a private mount namespace (the Makefile runs
# `unshare -m --propagation private bats tests/bats`), so that whatever a
# runtime mounts and forgets cannot reach the host.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OCIRUN=${OCIRUN:-$REPO/ocirun}
if [[ $OCIRUN != */* ]]; then
	OCIRUN=$(command -v "$OCIRUN" || echo "$OCIRUN")
fi
OCIRUN_NAME=$(basename "$OCIRUN")
# Seconds one runtime command may take before it counts as hung.
OCIRUN_TIMEOUT=${OCIRUN_TIMEOUT:-60}
# Every wait_* limit is multiplied by this on slow machines (an emulated
# guest runs everything several times slower).
OCIRUN_TEST_SLOWDOWN=${OCIRUN_TEST_SLOWDOWN:-1}

# slow SECONDS: SECONDS scaled by OCIRUN_TEST_SLOWDOWN.
slow() {
	echo $(($1 * OCIRUN_TEST_SLOWDOWN))
}

# A container that runs until told to stop. The shell traps SIGTERM itself:
# as PID 1 of a PID namespace it would otherwise ignore the signal.
LONG_RUNNING=(sh -c 'trap "exit 143" TERM; sleep 1000 & wait')

# runtime_is_runc_before MAJOR.MINOR: true when $OCIRUN is runc older than
# that version; used only to skip features such a runc lacks.
runtime_is_runc_before() {
	local v
	v=$("$OCIRUN" --version 2>/dev/null | sed -n 's/^runc version \([0-9]*\.[0-9]*\).*/\1/p')
	[ -n "$v" ] || return 1
	[ "$(printf '%s\n%s\n' "$v" "$1" | sort -V | head -1)" != "$1" ]
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# require_private_mountns stops the run unless it is in a mount namespace of
# its own (not the one of PID 1), so no mount a test makes can leak.
require_private_mountns() {
	[ "${OCIRUN_TEST_HOST_MOUNTNS:-}" = 1 ] && return 0
	if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
		fail "run the suite in a private mount namespace: unshare -m --propagation private bats tests/bats (or set OCIRUN_TEST_HOST_MOUNTNS=1)"
	fi
}

# rootfs_cache prints the path of a busybox rootfs built once per bats run.
rootfs_cache() {
	local cache=${OCIRUN_TEST_ROOTFS:-$BATS_RUN_TMPDIR/rootfs-cache}
	if [ ! -x "$cache/bin/busybox" ]; then
		local tmp
		tmp=$(mktemp -d "$BATS_RUN_TMPDIR/rootfs.XXXXXX")
		"$REPO/tests/rootfs.sh" "$tmp" >&2 || return 1
		mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$cache"
}

# test_tag: names this test's cgroups, unique even across concurrent runs.
test_tag() {
	echo "$(basename "$BATS_RUN_TMPDIR")-$(basename "$BATS_TEST_TMPDIR")"
}

# rootless: the suite runs as an unprivileged user (tests/rootless/run.sh
# sets OCIRUN_ROOTLESS=1).
rootless() {
	[ "${OCIRUN_ROOTLESS:-}" = 1 ]
}

# requires_root REASON: skip when the suite runs without root.
requires_root() {
	! rootless || skip "needs root: $1"
}

# subordinate_ids FILE: "START COUNT" of the caller's first range in FILE
# (/etc/subuid or /etc/subgid, by name or uid); nothing when it has none.
subordinate_ids() {
	awk -F: -v n="$(id -un)" -v u="$(id -u)" '$1 == n || $1 == u {print $2, $3; exit}' "$1" 2>/dev/null
}

# map_other_ids [BUNDLE]: let the container switch to ids other than root.
# Without root, container ids 1 and up map to the caller's subordinate ids
# (written through newuidmap and newgidmap), root to the caller; with root
# nothing changes (no user namespace: every id is there).
map_other_ids() {
	rootless || return 0
	local us un gs gn
	read -r us un <<<"$(subordinate_ids /etc/subuid)"
	read -r gs gn <<<"$(subordinate_ids /etc/subgid)"
	[ -n "$us" ] && [ -n "$gs" ] || skip "$(id -un) has no subordinate ids in /etc/subuid and /etc/subgid"
	update_config ".linux.uidMappings = [{containerID: 0, hostID: $(id -u), size: 1}, {containerID: 1, hostID: $us, size: $un}]
		| .linux.gidMappings = [{containerID: 0, hostID: $(id -g), size: 1}, {containerID: 1, hostID: $gs, size: $gn}]" "${1:-$BUNDLE}"
}

# rootless_sample: the path of config.sample.json made rootless, once per
# run, by the edits `$OCIRUN spec --rootless` makes to `$OCIRUN spec`: the
# namespaces it adds (the user namespace) with its id mappings, the mounts it
# changes (/sys bound from the host, no uid=/gid= options) and its resources
# (none). The network namespace it leaves out stays: an unprivileged user
# may make one in its user namespace (spec --rootless drops it only so that
# the example container has the host's network), and the tests check it.
rootless_sample() {
	local out=$BATS_RUN_TMPDIR/config.rootless.json d
	if [ ! -s "$out" ]; then
		d=$(mktemp -d "$BATS_RUN_TMPDIR/spec.XXXXXX")
		mkdir "$d/plain" "$d/rootless"
		"$OCIRUN" spec --bundle "$d/plain" >&2 && "$OCIRUN" spec --rootless --bundle "$d/rootless" >&2 || return 1
		jq --slurpfile plain "$d/plain/config.json" --slurpfile rl "$d/rootless/config.json" '
			$plain[0] as $a | $rl[0] as $b
			| ([$a.linux.namespaces[].type]) as $atypes
			| .linux.namespaces += [$b.linux.namespaces[] | select(.type as $t | $atypes | index($t) | not)]
			| .linux.uidMappings = $b.linux.uidMappings
			| .linux.gidMappings = $b.linux.gidMappings
			| if $b.linux | has("resources") then .linux.resources = $b.linux.resources else del(.linux.resources) end
			| .mounts |= map(. as $m
				| ([$a.mounts[] | select(.destination == $m.destination)] | first) as $am
				| ([$b.mounts[] | select(.destination == $m.destination)] | first) as $bm
				| if $am != null and $bm != $am then $bm else $m end)
			| .mounts |= map(select(. != null))' \
			"$REPO/config.sample.json" >"$d/config.json" && mv "$d/config.json" "$out" || return 1
		rm -rf "$d"
	fi
	echo "$out"
}

# new_bundle DIR makes a bundle in DIR: a copy of the cached rootfs and a
# config.json from config.sample.json running LONG_RUNNING, with a relative
# cgroupsPath so cgroups nest under the caller's cgroup. Without root the
# config is the rootless one, with no cgroupsPath (as spec --rootless
# makes it: the caller's cgroup is not delegated).
new_bundle() {
	local dir=$1 cache sample
	cache=$(rootfs_cache) || return 1
	mkdir -p "$dir"
	cp -a "$cache" "$dir/rootfs"
	if rootless; then
		sample=$(rootless_sample) || return 1
		cp "$sample" "$dir/config.json"
	else
		jq --arg cg "$(bundle_cgroup "$dir")" \
			'.linux.cgroupsPath = $cg' "$REPO/config.sample.json" >"$dir/config.json"
	fi
	set_args "$dir" "${LONG_RUNNING[@]}"
}

# bundle_cgroup BUNDLE: the relative cgroupsPath new_bundle gives it.
bundle_cgroup() {
	echo "ocirun-test/$(test_tag)-$(basename "$1")"
}

# setup_bundle: per-test state. $ROOT is the runtime's --root, $BUNDLE the
# default bundle (cwd of the test, as with runc).
setup_bundle() {
	require_private_mountns
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$ROOT"
	new_bundle "$BUNDLE"
	cd "$BUNDLE" || return 1
	OCIRUN_CALLS=0
}

# update_config 'jq expr' [BUNDLE]: edit a bundle's config.json in place.
update_config() {
	local bundle=${2:-$BUNDLE}
	jq "$1" "$bundle/config.json" >"$bundle/config.json.tmp" &&
		mv "$bundle/config.json.tmp" "$bundle/config.json"
}

# share_host_pidns [BUNDLE]: the container has no PID namespace of its own.
# Without root /proc is then bound from the host: proc can be mounted only
# by a user namespace that owns the PID namespace.
share_host_pidns() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))' "${1:-$BUNDLE}"
	if rootless; then
		update_config '.mounts |= map(if .destination == "/proc"
			then {destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]}
			else . end)' "${1:-$BUNDLE}"
	fi
}

# set_cmd 'shell script' [BUNDLE]: the container runs `sh -c SCRIPT`.
set_cmd() {
	set_args "${2:-$BUNDLE}" sh -c "$1"
}

# set_args BUNDLE ARG...: the container's process.args.
set_args() {
	local bundle=$1 arg json=
	shift
	for arg in "$@"; do
		json+=${json:+,}$(jq -n --arg a "$arg" '$a')
	done
	jq --argjson args "[$json]" '.process.args = $args' "$bundle/config.json" >"$bundle/config.json.tmp" &&
		mv "$bundle/config.json.tmp" "$bundle/config.json"
}

# ocirun [ARGS...]: run the runtime with --root $ROOT. Sets $status,
# $output (stdout then stderr), $stdout, $stderr and $lines. The runtime's
# stdio goes to files, not pipes, so a detached container that inherits it
# cannot block the caller; each call gets its own files for that reason.
# A container started by `create` or `run -d` keeps writing to its files:
# read them with container_output.
ocirun() {
	OCIRUN_CALLS=$((${OCIRUN_CALLS:-0} + 1))
	local base=$BATS_TEST_TMPDIR/call.$OCIRUN_CALLS
	echo "\$ $OCIRUN_NAME --root \$ROOT $*" >"$base.cmd"
	status=0
	timeout -k 5 "$OCIRUN_TIMEOUT" "$OCIRUN" --root "$ROOT" "$@" \
		>"$base.out" 2>"$base.err" </dev/null || status=$?
	stdout=$(cat "$base.out")
	stderr=$(cat "$base.err")
	output=$stdout${stdout:+${stderr:+$'\n'}}$stderr
	mapfile -t lines <<<"$output"
	[ -n "$output" ] || lines=()
	# Shown by bats when the test fails.
	echo "\$ $OCIRUN_NAME $* -> status $status"
	[ -z "$output" ] || sed 's/^/    /' <<<"$output"
	if [ "$status" -eq 124 ]; then
		echo "    (timed out after ${OCIRUN_TIMEOUT}s)"
	fi
	return 0
}

# container_output: everything written so far to the stdio files of the
# most recent ocirun call (a detached container inherits them).
container_output() {
	local n=${1:-$OCIRUN_CALLS}
	cat "$BATS_TEST_TMPDIR/call.$n.out" "$BATS_TEST_TMPDIR/call.$n.err"
}

# expect_status N: fail with the output when the last ocirun call did not
# exit with N.
expect_status() {
	[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status; output: $output"
}

# expect_failure: the last call failed (non-zero, not a timeout or a crash
# by signal) and printed something on stderr. 255 is a failed exec's
# status (runc's, and so ocirun's), not a signal.
expect_failure() {
	[ "$status" -ne 0 ] || fail "expected failure, got status 0; output: $output"
	[ "$status" -ne 124 ] || fail "timed out"
	[ "$status" -lt 128 ] || [ "$status" -eq 255 ] || fail "killed by signal $((status - 128)); output: $output"
	[ -n "$stderr" ] || fail "failed without an error message on stderr"
}

# expect_output_contains REGEX (grep -E, case-insensitive)
expect_output_contains() {
	grep -qiE -- "$1" <<<"$output" || fail "output does not match /$1/: $output"
}

# state_field ID FIELD: one field of `state ID` (a jq path without the
# leading dot); fails when state fails.
state_field() {
	local out
	out=$(timeout 30 "$OCIRUN" --root "$ROOT" state "$1" </dev/null) || fail "state $1 failed" || return 1
	jq -r ".$2" <<<"$out"
}

# container_status ID: prints created|running|stopped|paused, or nothing.
container_status() {
	local out
	out=$(timeout 30 "$OCIRUN" --root "$ROOT" state "$1" 2>/dev/null) || return 0
	jq -r .status <<<"$out"
}

# wait_for_status ID STATUS [SECONDS]
wait_for_status() {
	local id=$1 want=$2 deadline=$((SECONDS + $(slow "${3:-10}"))) got
	while :; do
		got=$(container_status "$id")
		[ "$got" = "$want" ] && return 0
		[ $SECONDS -lt "$deadline" ] || break
		sleep 0.1
	done
	fail "container $id: status '$got', wanted '$want'"
}

# wait_for_file PATH [SECONDS]: wait until PATH exists and is not empty.
wait_for_file() {
	local deadline=$((SECONDS + $(slow "${2:-10}")))
	until [ -s "$1" ]; do
		[ $SECONDS -lt "$deadline" ] || fail "timed out waiting for $1" || return 1
		sleep 0.1
	done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	[ -e "/proc/$1" ] || return 1
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_pid_gone PID [SECONDS]
wait_pid_gone() {
	local deadline=$((SECONDS + $(slow "${2:-10}")))
	while pid_alive "$1"; do
		[ $SECONDS -lt "$deadline" ] || fail "process $1 is still alive" || return 1
		sleep 0.1
	done
}

# proc_links NAME: "PID TARGET" for the link /proc/PID/NAME of every
# process (NAME like root, cwd, ns/mnt); one find instead of a fork per pid.
proc_links() {
	find /proc/[0-9]*/"$1" -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
		sed -E 's|^/proc/([0-9]+)/[^ ]* |\1 |'
	return 0
}

# pids_in_ns TYPE PID: every host pid whose TYPE namespace is PID's.
pids_in_ns() {
	local ns
	ns=$(readlink "/proc/$2/ns/$1") || return 0
	proc_links "ns/$1" | awk -v ns="$ns" '$2 == ns {print $1}'
}

# runtime_pids: runtime processes still in this test's mount namespace (so
# nothing from other users of the host counts; a container's own process has
# its own mount namespace): named like $OCIRUN, ocirun-init (ocirun's init
# stages), runc:[...] or exe (a binary re-executed through /proc/self/exe),
# or running the $OCIRUN binary.
runtime_pids() {
	local p comm exe real
	real=$(readlink -f "$OCIRUN")
	for p in $(pids_in_ns mnt self); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		exe=$(readlink "/proc/$p/exe" 2>/dev/null) || exe=
		case $comm in
		"${OCIRUN_NAME:0:15}" | ocirun-init | runc | runc:* | exe) echo "$p" ;;
		*) [ "$exe" != "$real" ] || echo "$p" ;;
		esac
	done
	return 0
}

# bundle_pids [BUNDLE [CGROUP-SUFFIX]]: processes whose root directory is the bundle's
# rootfs (compared by device and inode: the link text of a process in another
# mount namespace is just "/"), or that sit in one of this test's cgroups.
bundle_pids() {
	local b=${1:-$BUNDLE} id tag
	tag=$(test_tag)
	{
		if id=$(stat -c '%d:%i' "$b/rootfs" 2>/dev/null); then
			stat -L -c '%n %d:%i' /proc/[0-9]*/root 2>/dev/null |
				awk -v id="$id" '$2 == id {split($1, a, "/"); print a[3]}'
		fi
		grep -lE -- "/ocirun-test/$tag-${2:-$(basename "$b")}\$" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
	} | sort -un
}

# expect_nothing_left ID [BUNDLE]: after a failed create/run: no container
# listed, no state entry under --root, no process, no mount of the bundle.
# The results of the call being checked ($status, $output, ...) are kept.
expect_nothing_left() {
	local id=$1 b=${2:-$BUNDLE} p listed
	listed=$(timeout 30 "$OCIRUN" --root "$ROOT" list -q </dev/null) || fail "list failed" || return 1
	if [ -n "$id" ] && grep -qxF -- "$id" <<<"$listed"; then
		fail "container '$id' is still listed"
		return 1
	fi
	# A directory under --root that belongs to no listed container is state
	# left behind (plain files, such as a lock, are the runtime's business).
	local e
	for e in "$ROOT"/* "$ROOT"/.[!.]*; do
		[ -d "$e" ] || continue
		grep -qxF -- "$(basename "$e")" <<<"$listed" ||
			fail "state left under --root: $e" || return 1
	done
	case $id in
	'' | . | ..) ;;
	*) [ ! -e "$ROOT/$id" ] || fail "state left under --root: $ROOT/$id" || return 1 ;;
	esac
	p=$(bundle_pids "$b")
	[ -z "$p" ] || fail "processes left in the bundle: $p" || return 1
	p=$(runtime_pids)
	[ -z "$p" ] || fail "runtime processes left: $(for x in $p; do tr '\0' ' ' <"/proc/$x/cmdline"; echo; done)" || return 1
	if grep -F -- " $b" /proc/self/mountinfo; then
		fail "mounts of the bundle left"
		return 1
	fi
	return 0
}

# teardown_containers: delete --force every container of this test's root,
# whether the test passed or not, then remove its cgroups.
teardown_containers() {
	[ -n "${ROOT:-}" ] && [ -d "$ROOT" ] || return 0
	cd /
	local ids id
	ids=$(timeout 30 "$OCIRUN" --root "$ROOT" list -q 2>/dev/null || true)
	# Also every entry of the state dir, in case list itself is broken.
	ids="$ids $(ls -A "$ROOT" 2>/dev/null || true)"
	for id in $ids; do
		timeout 30 "$OCIRUN" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 </dev/null || true
	done
	# Any process still in this test's cgroups or in the default rootfs.
	local p
	for p in $(bundle_pids "$BUNDLE" '[^/]*'); do
		wait_pid_gone "$p" 2 2>/dev/null && continue
		echo "teardown: killing leftover process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
		kill -9 "$p" 2>/dev/null || true
	done
	remove_test_cgroups
}

# test_program NAME: prints the path of the Go program tests/cmd/NAME,
# built once per run, or found in $TEST_PROGRAMS (a directory of them built
# elsewhere, for machines without Go: the cgroup v2 guest).
test_program() {
	local go bin=$BATS_RUN_TMPDIR/$1
	if [ -n "${TEST_PROGRAMS:-}" ]; then
		[ -x "$TEST_PROGRAMS/$1" ] || { echo "test_program: no $1 in TEST_PROGRAMS=$TEST_PROGRAMS" >&2; return 1; }
		echo "$TEST_PROGRAMS/$1"
		return 0
	fi
	go=$(command -v go || echo /usr/local/go/bin/go)
	if [ ! -x "$bin" ]; then
		(cd "$REPO" && CGO_ENABLED=0 "$go" build -o "$bin" "./tests/cmd/$1") >&2 || return 1
	fi
	echo "$bin"
}

# build_seccomp_agent: $SECCOMP_AGENT, the SCMP_ACT_NOTIFY listener of
# tests/cmd/seccompagent (call it from setup_file).
build_seccomp_agent() {
	SECCOMP_AGENT=$(test_program seccompagent) || return 1
	export SECCOMP_AGENT
}

# start_seccomp_agent [AGENT-ARGS...]: the seccomp agent listening on
# $SOCK, writing the last state it got to $AGENT_STATE; AGENT_PID is its
# pid, for stop_seccomp_agent. It must not hold bats' fd 3, or bats waits
# for it.
start_seccomp_agent() {
	SOCK=$BATS_TEST_TMPDIR/agent.sock
	AGENT_STATE=$BATS_TEST_TMPDIR/agent.state
	"$SECCOMP_AGENT" "$@" "$SOCK" "$AGENT_STATE" 3>&- &
	AGENT_PID=$!
	local i
	for i in $(seq 50); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	fail "the agent did not start"
}

# stop_background VAR: end and reap the background process whose pid is in
# the variable VAR, if any, and empty VAR.
stop_background() {
	local pid=${!1:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	printf -v "$1" '%s' ''
}

# stop_seccomp_agent: end the agent start_seccomp_agent started, if any.
stop_seccomp_agent() { stop_background AGENT_PID; }

# relative_cgroup_bases: the directories, in every hierarchy, that a
# relative cgroupsPath may be resolved against: the caller's cgroups, and on
# cgroup v2 their parent (where a relative cgroupsPath goes there).
relative_cgroup_bases() {
	local mnt own
	for mnt in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts); do
		for own in $(cut -d: -f3- /proc/self/cgroup | sort -u; cgroup_v2 && dirname "$(cut -d: -f3- /proc/self/cgroup)"); do
			echo "$mnt$own"
		done
	done
}

# remove_test_cgroups: rmdir this test's (empty) cgroups under every
# hierarchy, then the shared ocirun-test parent when it is empty.
remove_test_cgroups() {
	local tag base d
	tag=$(test_tag)
	for base in $(relative_cgroup_bases); do
		[ -d "$base/ocirun-test" ] || continue
		for d in "$base/ocirun-test/$tag"-*; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
		rmdir "$base/ocirun-test" 2>/dev/null || true
	done
	return 0
}

# expect_no_cgroup [BUNDLE]: the cgroup of BUNDLE's container (the
# cgroupsPath new_bundle gives it) is in no hierarchy.
expect_no_cgroup() {
	local base cg
	for base in $(relative_cgroup_bases); do
		cg=$base/$(bundle_cgroup "${1:-$BUNDLE}")
		[ ! -d "$cg" ] || fail "cgroup $cg left behind" || return 1
	done
}

# make_traversable DIR: let an unprivileged (user-namespaced) process reach
# DIR, whose ancestors bats creates with mode 0700.
make_traversable() {
	local d=$1
	while [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

# add_userns [HOSTID]: give the container a new user namespace mapping
# 65536 ids from HOSTID (default 100000) and let those ids reach the bundle.
add_userns() {
	local host=${1:-100000}
	make_traversable "$BUNDLE"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": '"$host"', "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": '"$host"', "size": 65536}]'
}

# wrap_runtime_in_mountns 'shell commands': later calls of the runtime first
# enter a mount namespace of their own and run these commands there (to make
# a filesystem read-only, hide a file, ...), so the change reaches the
# runtime and nothing else. The real runtime stays in $REAL_OCIRUN; a
# teardown that sets OCIRUN=$REAL_OCIRUN cleans up with it.
wrap_runtime_in_mountns() {
	REAL_OCIRUN=${REAL_OCIRUN:-$OCIRUN}
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-in-mountns
	printf '#!/bin/bash\nexec unshare -m --propagation private bash -ec %q ocirun %q "$@"\n' \
		"$1"$'\nexec "$@"' "$REAL_OCIRUN" >"$OCIRUN"
	chmod +x "$OCIRUN"
}

# without_cap_sys_resource: later calls of the runtime run without
# CAP_SYS_RESOURCE (dropped from the bounding set, so root's capabilities
# after exec lack it), as on hosts that do not grant it.
without_cap_sys_resource() {
	REAL_OCIRUN=${REAL_OCIRUN:-$OCIRUN}
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-without-sys-resource
	printf '#!/bin/bash\nexec setpriv --bounding-set -sys_resource %q "$@"\n' "$REAL_OCIRUN" >"$OCIRUN"
	chmod +x "$OCIRUN"
}

# cgroup_v2: /sys/fs/cgroup is a pure cgroup v2 hierarchy (no v1, no hybrid).
cgroup_v2() {
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]
}

# require_cgroup_v2 [CONTROLLER...]: skip unless the host is pure cgroup v2
# and the caller's cgroup can hand the controllers on to its children.
# Hosts with cgroup v1 or the hybrid layout cannot show v2 limits at work;
# `make test-v2` runs these tests in a guest that can.
require_cgroup_v2() {
	cgroup_v2 || skip "needs a pure cgroup v2 host; /sys/fs/cgroup here is $(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo missing), i.e. cgroup v1 or hybrid (make test-v2 runs this in a v2 guest)"
	local parent c
	parent=/sys/fs/cgroup$(dirname "$(sed -n 's/^0:://p' /proc/self/cgroup)")
	for c in "$@"; do
		grep -qw "$c" "$parent/cgroup.controllers" ||
			skip "the $c controller is not available in $parent"
	done
}

# cgroup_dir CONTROLLER PID: the directory of PID's cgroup of CONTROLLER:
# its v1 hierarchy's, or on cgroup v2 its one cgroup (CONTROLLER unused).
cgroup_dir() {
	local rel mnt
	if cgroup_v2; then
		echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$2/cgroup")"
		return
	fi
	rel=$(awk -F: -v c="$1" '{n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3}' "/proc/$2/cgroup")
	mnt=$(awk -v c="$1" '$3 == "cgroup" && $4 ~ ("(^|,)" c "(,|$)") {print $2; exit}' /proc/self/mounts)
	echo "$mnt$rel"
}

# cgroup_value CONTROLLER PID V1FILE V2FILE: the content of the file that
# holds a setting, by its v1 or v2 name as the host has it.
cgroup_value() {
	local file=$3
	cgroup_v2 && file=$4
	cat "$(cgroup_dir "$1" "$2")/$file"
}

# cpu_weight SHARES: the cpu.weight the runtime under test writes for
# cpu.shares SHARES on cgroup v2: the curve that maps 1024 to 100 (runc since
# 1.3.2, crun since 1.23, ocirun), or the older linear formula for an older
# runc.
cpu_weight() {
	if runtime_is_runc_before 1.3; then
		echo $((1 + ($1 - 2) * 9999 / 262142))
	else
		awk -v s="$1" 'BEGIN { l = log(s) / log(2); e = (l * l + 125 * l) / 612 - 7 / 34; w = 10 ^ e; c = int(w); if (c < w) c++; print c }'
	fi
}

# The console-socket receiver of tests/cmd/recvtty (make recvtty).
RECVTTY=${RECVTTY:-$REPO/tests/bin/recvtty}

# start_recvtty: listen on $SOCK, terminal output goes to $TTY_OUT, and
# $TTY_READY appears once the received terminal is set up.
start_recvtty() {
	SOCK=$BATS_TEST_TMPDIR/console.sock
	TTY_OUT=$BATS_TEST_TMPDIR/tty.out
	TTY_READY=$BATS_TEST_TMPDIR/tty.ready
	"$RECVTTY" --out "$TTY_OUT" --ready "$TTY_READY" "$SOCK" 2>"$BATS_TEST_TMPDIR/recvtty.err" &
	RECV_PID=$!
	wait_recvtty_listening "$SOCK"
}

# wait_recvtty_listening SOCK: wait until recvtty listens on SOCK.
wait_recvtty_listening() {
	local deadline=$((SECONDS + 10))
	until [ -S "$1" ]; do
		[ $SECONDS -lt $deadline ] || fail "recvtty did not start: $(cat "$BATS_TEST_TMPDIR/recvtty.err")" || return 1
		sleep 0.05
	done
}

# stop_recvtty: end the recvtty start_recvtty started, if it still runs.
stop_recvtty() { stop_background RECV_PID; }

# start_pidfd_receiver SOCK OUT: listen on SOCK for --pidfd-socket; the pid
# of the pidfd received is written to OUT, and then the receiver exits.
start_pidfd_receiver() {
	"$RECVTTY" --pidfd --out "$2" "$1" 2>"$BATS_TEST_TMPDIR/recvtty.err" &
	RECV_PID=$!
	wait_recvtty_listening "$1"
}

# wait_pidfd_receiver: wait until the receiver of start_pidfd_receiver took
# its pidfd and exited.
wait_pidfd_receiver() {
	wait "$RECV_PID" || fail "recvtty --pidfd: $(cat "$BATS_TEST_TMPDIR/recvtty.err")" || return 1
	RECV_PID=
}

# join_namespaces_of PID BUNDLE NS...: BUNDLE's container joins the
# namespaces NS (names of /proc/PID/ns: user net ipc uts) of process PID by
# path, has no hostname of its own, and prints its hostname and then
# "NS INODE" for each of NS, mnt and pid (see expect_joined_only).
join_namespaces_of() {
	local pid=$1 bundle=$2 ns type map=
	shift 2
	declare -A types=([user]=user [net]=network [ipc]=ipc [uts]=uts [cgroup]=cgroup)
	for ns in "$@"; do
		type=${types[$ns]}
		map+="if .type == \"$type\" then .path = \"/proc/$pid/ns/$ns\" else . end | "
	done
	update_config "del(.hostname) | .linux.namespaces |= map(${map}.)" "$bundle"
	set_cmd "hostname; for t in $* mnt pid; do echo \"\$t \$(readlink /proc/self/ns/\$t)\"; done" "$bundle"
}

# expect_joined_only PID NS...: the last call printed (join_namespaces_of)
# the namespaces NS of PID, and mnt and pid namespaces of its own.
expect_joined_only() {
	local pid=$1 t got
	shift
	for t in "$@"; do
		got=$(awk -v t="$t" '$1 == t {print $2}' <<<"$stdout")
		[ "$got" = "$(readlink "/proc/$pid/ns/$t")" ] || fail "$t: has $got, PID $pid has $(readlink "/proc/$pid/ns/$t")"
	done
	for t in mnt pid; do
		got=$(awk -v t="$t" '$1 == t {print $2}' <<<"$stdout")
		[ "$got" != "$(readlink "/proc/$pid/ns/$t")" ] || fail "$t namespace shared though not asked: $got"
	done
}

# expect_kill_all_reaches_shared_pidns: with the bundle's container in the
# host's PID namespace, where the init's death does not end the others,
# kill --all KILL ends all three of its processes.
expect_kill_all_reaches_shared_pidns() {
	share_host_pidns
	set_cmd 'sleep 1000 & sleep 1000 & echo ready >/tmp/ready; wait'
	ocirun run --detach ct1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	local pids p
	pids=$(pids_in_ns mnt "$(state_field ct1 pid)")
	[ "$(wc -w <<<"$pids")" -eq 3 ] || fail "expected 3 processes, got: $pids"
	ocirun kill --all ct1 KILL
	expect_status 0
	for p in $pids; do
		wait_pid_gone "$p"
	done
	wait_for_status ct1 stopped
}
