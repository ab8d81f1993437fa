#!/usr/bin/env bats
# Core lifecycle: create, start, state, kill, delete, run, list, spec.

load helpers

setup() {
	setup_bundle
}

teardown() {
	stop_recvtty
	teardown_containers
}

@test "create -> created, start -> running, exit -> stopped, delete" {
	set_cmd 'sleep 2'
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0

	ocirun state ct1
	expect_status 0
	[ "$(jq -r .status <<<"$stdout")" = created ] || fail "status: $stdout"
	[ "$(jq -r .id <<<"$stdout")" = ct1 ] || fail "id: $stdout"
	[ "$(jq -r .bundle <<<"$stdout")" = "$BUNDLE" ] || fail "bundle: $stdout"
	local pid
	pid=$(jq -r .pid <<<"$stdout")
	[ "$pid" -gt 0 ] || fail "pid: $stdout"
	pid_alive "$pid" || fail "created container's process $pid is not alive"

	ocirun start ct1
	expect_status 0
	[ "$(container_status ct1)" = running ] || fail "after start: $(container_status ct1)"

	# sleep 1 ends by itself.
	wait_for_status ct1 stopped 10
	wait_pid_gone "$pid"

	ocirun delete ct1
	expect_status 0
	ocirun state ct1
	expect_failure
	expect_output_contains 'does not exist'
	ocirun list -q
	[ -z "$stdout" ] || fail "still listed: $stdout"
}

@test "create and exec send a pidfd of their process to --pidfd-socket" {
	runtime_is_runc_before 1.2 && skip "runc before 1.2 has no --pidfd-socket"
	set_cmd 'sleep 300'
	local sock=$BATS_TEST_TMPDIR/pidfd.sock out=$BATS_TEST_TMPDIR/pidfd.out
	start_pidfd_receiver "$sock" "$out"
	ocirun create --pidfd-socket "$sock" --bundle "$BUNDLE" ct1
	expect_status 0
	wait_pidfd_receiver
	[ "$(cat "$out")" = "$(state_field ct1 pid)" ] || fail "pidfd of pid $(cat "$out"), init is $(state_field ct1 pid)"

	ocirun start ct1
	expect_status 0
	rm -f "$sock"
	start_pidfd_receiver "$sock" "$out"
	ocirun exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" --pidfd-socket "$sock" ct1 sleep 300
	expect_status 0
	wait_pidfd_receiver
	[ "$(cat "$out")" = "$(cat "$BATS_TEST_TMPDIR/exec.pid")" ] || fail "pidfd of pid $(cat "$out"), exec'd process is $(cat "$BATS_TEST_TMPDIR/exec.pid")"
}

@test "a --pidfd-socket nobody listens on fails create and leaves nothing" {
	runtime_is_runc_before 1.2 && skip "runc before 1.2 has no --pidfd-socket"
	ocirun create --pidfd-socket "$BATS_TEST_TMPDIR/none.sock" --bundle "$BUNDLE" ct1
	expect_failure
	expect_output_contains "connect to pidfd socket $BATS_TEST_TMPDIR/none.sock: connect: no such file or directory"
	ocirun state ct1
	expect_failure
}

@test "running container reports running until killed" {
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	ocirun start ct1
	expect_status 0
	[ "$(state_field ct1 status)" = running ]
	sleep 0.3
	[ "$(state_field ct1 status)" = running ] || fail "a long-running container stopped by itself"
	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
}

@test "create runs from the current directory when --bundle is omitted" {
	cd "$BUNDLE"
	ocirun create ct1
	expect_status 0
	[ "$(state_field ct1 bundle)" = "$BUNDLE" ]
}

@test "create leaves no runtime process behind, only the container's" {
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	local pid left
	pid=$(state_field ct1 pid)
	left=$(runtime_pids | grep -vx "$pid" || true)
	[ -z "$left" ] || fail "runtime processes alive after create: $(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
	# The container's process is already in the container's namespaces.
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "the created process is still in the runtime's mount namespace"
}

@test "the user program does not run before start" {
	set_cmd 'echo started >/tmp/marker; sleep 1000'
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	sleep 0.5
	[ ! -e "$BUNDLE/rootfs/tmp/marker" ] || fail "process.args ran before start"
	ocirun start ct1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/marker"
}

@test "pid-file holds the state pid" {
	ocirun create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" ct1
	expect_status 0
	[ -s "$BATS_TEST_TMPDIR/pid" ] || fail "pid file missing or empty"
	local filepid
	filepid=$(cat "$BATS_TEST_TMPDIR/pid")
	[[ $filepid =~ ^[0-9]+$ ]] || fail "pid file content: '$filepid'"
	[ "$filepid" = "$(state_field ct1 pid)" ] || fail "pid file $filepid != state pid"

	ocirun run --detach --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid2" ct2
	expect_status 0
	[ "$(cat "$BATS_TEST_TMPDIR/pid2")" = "$(state_field ct2 pid)" ]
}

@test "relative pid-file is relative to the caller's cwd" {
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	ocirun create --bundle "$BUNDLE" --pid-file pid ct1
	expect_status 0
	[ "$(cat "$BATS_TEST_TMPDIR/cwd/pid")" = "$(state_field ct1 pid)" ]
}

@test "state has the OCI fields" {
	update_config '.annotations = {"org.ocirun.test": "yes"}'
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	ocirun state ct1
	expect_status 0
	local s=$stdout
	jq -e . <<<"$s" >/dev/null || fail "state is not JSON: $s"
	jq -e '.ociVersion | type == "string" and startswith("1.")' <<<"$s" >/dev/null || fail "ociVersion: $s"
	jq -e '.id == "ct1"' <<<"$s" >/dev/null || fail "id: $s"
	jq -e '.status == "created"' <<<"$s" >/dev/null || fail "status: $s"
	jq -e '.pid | type == "number" and . > 0' <<<"$s" >/dev/null || fail "pid: $s"
	jq -e --arg b "$BUNDLE" '.bundle == $b' <<<"$s" >/dev/null || fail "bundle: $s"
	jq -e --arg r "$BUNDLE/rootfs" '.rootfs == $r' <<<"$s" >/dev/null || fail "rootfs: $s"
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$")' <<<"$s" >/dev/null || fail "created: $s"
	jq -e 'has("owner")' <<<"$s" >/dev/null || fail "owner: $s"
	jq -e '.annotations["org.ocirun.test"] == "yes"' <<<"$s" >/dev/null || fail "annotations: $s"
}

@test "list shows ids, -q and --format json" {
	new_bundle "$BATS_TEST_TMPDIR/b2"
	ocirun create --bundle "$BUNDLE" ct1
	expect_status 0
	ocirun create --bundle "$BATS_TEST_TMPDIR/b2" ct2
	expect_status 0
	ocirun start ct2
	expect_status 0

	ocirun list -q
	expect_status 0
	[ "$(sort <<<"$stdout" | tr '\n' ' ')" = "ct1 ct2 " ] || fail "list -q: $stdout"

	ocirun list
	expect_status 0
	[[ ${lines[0]} == ID* ]] || fail "table header: ${lines[0]}"
	grep -E '^ct1 .*created' <<<"$stdout" || fail "ct1 row: $stdout"
	grep -E '^ct2 .*running' <<<"$stdout" || fail "ct2 row: $stdout"

	ocirun list --format json
	expect_status 0
	jq -e 'type == "array" and length == 2' <<<"$stdout" >/dev/null || fail "list json: $stdout"
	jq -e 'map(select(.id == "ct1"))[0] | .status == "created" and .pid > 0' <<<"$stdout" >/dev/null || fail "ct1: $stdout"
	jq -e --arg b "$BATS_TEST_TMPDIR/b2" 'map(select(.id == "ct2"))[0] | .status == "running" and .bundle == $b' <<<"$stdout" >/dev/null || fail "ct2: $stdout"
	jq -e 'all(has("id") and has("pid") and has("status") and has("bundle") and has("created") and has("owner"))' <<<"$stdout" >/dev/null || fail "fields: $stdout"
}

@test "list of an empty or missing root" {
	ocirun list -q
	expect_status 0
	[ -z "$stdout" ] || fail "expected no containers: $stdout"
	ocirun list --format json
	expect_status 0
	jq -e 'length == 0' <<<"$stdout" >/dev/null || fail "expected an empty array: $stdout"

	ROOT=$BATS_TEST_TMPDIR/never-created
	ocirun list -q
	expect_status 0
	[ -z "$stdout" ]
}

@test "run returns the container's exit code" {
	set_cmd 'echo out; echo err >&2; exit 0'
	ocirun run ct0
	expect_status 0
	[ "$stdout" = out ] || fail "stdout: '$stdout'"
	[ "$stderr" = err ] || fail "stderr: '$stderr'"

	set_cmd 'exit 3'
	ocirun run ct3
	expect_status 3

	# The shell's own "not found" code passes through unchanged.
	set_cmd 'no-such-command-here'
	ocirun run ct127
	expect_status 127

	# run deletes the container afterwards unless --keep.
	ocirun list -q
	[ -z "$stdout" ] || fail "run left containers: $stdout"
}

@test "run --keep keeps the stopped container" {
	set_cmd 'exit 5'
	ocirun run --keep ct1
	expect_status 5
	[ "$(state_field ct1 status)" = stopped ]
	ocirun delete ct1
	expect_status 0
}

@test "run of a missing executable fails with a clear error" {
	set_args "$BUNDLE" /bin/no-such-binary
	ocirun run ct1
	expect_failure
	# podman maps these texts to exit code 127.
	expect_output_contains 'no-such-binary'
	expect_output_contains 'executable file not found in|no such file or directory'
	expect_nothing_left ct1

	set_args "$BUNDLE" no-such-binary
	ocirun run ct2
	expect_failure
	expect_output_contains 'no-such-binary'
	expect_output_contains 'executable file not found in|no such file or directory'
	expect_nothing_left ct2
}

@test "run of a container killed by a signal returns 128+signal" {
	set_cmd 'kill -9 $$'
	# Without a PID namespace the shell is not an init and can be killed.
	share_host_pidns
	ocirun run ct1
	expect_status 137
}

@test "run --detach" {
	ocirun run --detach ct1
	expect_status 0
	[ "$(state_field ct1 status)" = running ]
	local pid
	pid=$(state_field ct1 pid)
	pid_alive "$pid"
}

@test "detached container's output goes to the caller's stdio" {
	set_cmd 'echo hello-detached; sleep 1000'
	ocirun run --detach ct1
	expect_status 0
	local n=$OCIRUN_CALLS deadline=$((SECONDS + 10))
	until container_output "$n" | grep -q hello-detached; do
		[ $SECONDS -lt $deadline ] || fail "no output: $(container_output "$n")"
		sleep 0.1
	done
}

@test "kill: default signal is SIGTERM" {
	set_cmd 'trap "echo got-term >/tmp/sig; exit 0" TERM; sleep 1000 & wait'
	ocirun run --detach ct1
	expect_status 0
	ocirun kill ct1
	expect_status 0
	wait_for_status ct1 stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = got-term ]
}

@test "kill accepts TERM, SIGTERM and 15" {
	local sig
	for sig in TERM SIGTERM 15; do
		set_cmd 'trap "echo term >/tmp/sig; exit 0" TERM; trap "" HUP; sleep 1000 & wait'
		rm -f "$BUNDLE/rootfs/tmp/sig"
		ocirun run --detach "ct-$sig"
		expect_status 0
		ocirun kill "ct-$sig" "$sig"
		expect_status 0
		wait_for_status "ct-$sig" stopped
		[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = term ] || fail "signal $sig not delivered as SIGTERM"
		ocirun delete "ct-$sig"
		expect_status 0
	done
}

@test "kill with other signals: USR1 is delivered, KILL and 9 stop" {
	set_cmd 'trap "echo usr1 >>/tmp/sig" USR1; while :; do sleep 0.1; done'
	ocirun run --detach ct1
	expect_status 0
	ocirun kill ct1 USR1
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/sig"
	[ "$(state_field ct1 status)" = running ] || fail "USR1 stopped the container"
	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped

	ocirun run --detach ct2
	expect_status 0
	ocirun kill ct2 9
	expect_status 0
	wait_for_status ct2 stopped
}

@test "kill of a created container" {
	ocirun create ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	wait_pid_gone "$pid"
	ocirun delete ct1
	expect_status 0
}

@test "kill of an unknown signal or a stopped container fails" {
	ocirun run --detach ct1
	expect_status 0
	ocirun kill ct1 NOSUCHSIGNAL
	expect_failure
	[ "$(state_field ct1 status)" = running ]

	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	ocirun kill ct1 KILL
	expect_failure
	# containerd treats these texts as "already finished".
	expect_output_contains 'not running|no such process|process already finished'

	ocirun kill no-such-ct KILL
	expect_failure
	expect_output_contains 'does not exist'
}

@test "kill --all signals every process of the container" {
	# Without root the container has no cgroup unless one is delegated:
	# rootless.bats covers both cases.
	! rootless || skip "rootless: see rootless.bats, kill --all with and without a delegated cgroup"
	expect_kill_all_reaches_shared_pidns
}

@test "delete refuses a running container without --force" {
	ocirun run --detach ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun delete ct1
	expect_failure
	expect_output_contains 'running'
	[ "$(state_field ct1 status)" = running ] || fail "delete without --force changed the container"
	pid_alive "$pid" || fail "delete without --force killed the container"
}

# The runtime-spec says delete of a container that is not stopped must fail
# without effect; runc 1.1 instead destroys a created container. Either is
# accepted here, but never a half-deleted container.
@test "delete of a created container without --force: refused, or complete" {
	ocirun create ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun delete ct1
	if [ "$status" -ne 0 ]; then
		expect_failure
		[ "$(state_field ct1 status)" = created ] || fail "a refused delete changed the container"
		pid_alive "$pid" || fail "a refused delete killed the container"
	else
		wait_pid_gone "$pid"
		expect_nothing_left ct1
	fi
}

@test "delete --force of a running container" {
	ocirun run --detach ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun delete --force ct1
	expect_status 0
	wait_pid_gone "$pid"
	ocirun state ct1
	expect_failure
	expect_output_contains 'does not exist'
	expect_nothing_left ct1
}

@test "delete --force of a created container" {
	ocirun create ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun delete -f ct1
	expect_status 0
	wait_pid_gone "$pid"
	expect_nothing_left ct1
}

@test "delete --force of a nonexistent container exits 0" {
	ocirun delete --force no-such-ct
	expect_status 0

	# The containerd shim's order: delete, then delete --force again.
	set_cmd 'true'
	ocirun run --keep ct1
	expect_status 0
	ocirun delete ct1
	expect_status 0
	ocirun delete --force ct1
	expect_status 0
}

@test "delete of a nonexistent container says it does not exist" {
	ocirun delete no-such-ct
	expect_failure
	expect_output_contains 'does not exist'
	ocirun state no-such-ct
	expect_failure
	expect_output_contains 'does not exist'
	ocirun start no-such-ct
	expect_failure
	expect_output_contains 'does not exist'
}

@test "delete removes the container's cgroup" {
	requires_root "no cgroup is made without a delegated one (rootless.bats has that case)"
	ocirun run --detach ct1
	expect_status 0
	local pid cg
	pid=$(state_field ct1 pid)
	cg=$(awk -F: '$2 == "pids" || $2 == "" {print $3}' "/proc/$pid/cgroup" | head -1)
	[[ $cg == */ocirun-test/* ]] || fail "relative cgroupsPath not honoured: $(cat "/proc/$pid/cgroup")"
	local mnt
	mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ {print $2; exit}' /proc/self/mounts)
	[ -n "$mnt" ] || mnt=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
	[ -d "$mnt$cg" ] || fail "cgroup $mnt$cg missing"
	ocirun delete --force ct1
	expect_status 0
	[ ! -d "$mnt$cg" ] || fail "cgroup $mnt$cg left after delete"
}

@test "start of a running or stopped container fails" {
	set_cmd 'trap "exit 0" TERM; sleep 1000 & wait'
	ocirun create ct1
	expect_status 0
	ocirun start ct1
	expect_status 0
	ocirun start ct1
	expect_failure
	[ "$(state_field ct1 status)" = running ]

	ocirun kill ct1 KILL
	expect_status 0
	wait_for_status ct1 stopped
	ocirun start ct1
	expect_failure
	[ "$(state_field ct1 status)" = stopped ]
}

@test "spec writes a config that runs" {
	local b=$BATS_TEST_TMPDIR/specbundle
	mkdir "$b"
	cp -a "$BUNDLE/rootfs" "$b/rootfs"
	local rootless_flag=()
	! rootless || rootless_flag=(--rootless)
	ocirun spec "${rootless_flag[@]}" --bundle "$b"
	expect_status 0
	[ -s "$b/config.json" ] || fail "spec wrote no config.json"
	jq -e '.ociVersion and .process.args and .root.path == "rootfs"' "$b/config.json" >/dev/null ||
		fail "config: $(cat "$b/config.json")"

	# spec refuses to overwrite an existing config.
	ocirun spec --bundle "$b"
	expect_failure

	update_config '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"]' "$b"
	ocirun run --bundle "$b" ct1
	expect_status 0
	[ "$stdout" = spec-ok ] || fail "output: $output"
}

@test "--version" {
	ocirun --version
	expect_status 0
	[ -n "$stdout" ] || fail "empty --version"
	grep -qiE 'version' <<<"$stdout" || fail "no version in: $stdout"
}

@test "--log with --log-format json records errors as JSON lines" {
	local log=$BATS_TEST_TMPDIR/log.json
	status=0
	"$OCIRUN" --root "$ROOT" --log "$log" --log-format json state no-such-ct \
		>"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e" </dev/null || status=$?
	[ "$status" -ne 0 ] || fail "state of a missing container succeeded"
	[ -s "$log" ] || fail "nothing logged to --log"
	# Every line is JSON; the last error line names the cause.
	jq -e . "$log" >/dev/null || fail "log is not JSON lines: $(cat "$log")"
	jq -rs 'map(select(.level == "error")) | last | .msg' "$log" | grep -q 'does not exist' ||
		fail "last error line: $(cat "$log")"
	jq -es 'all(has("level") and has("msg") and has("time"))' "$log" >/dev/null || fail "fields: $(cat "$log")"
}

@test "--log-level: error hides warnings, not errors; an unknown level is refused" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc has no --log-level"
	# Ambient capabilities that are not inheritable give a warning.
	update_config '.process.capabilities.ambient = ["CAP_KILL"] | .process.capabilities.inheritable = []'
	set_cmd true
	local log=$BATS_TEST_TMPDIR/log
	ocirun --log "$log" --log-level error run ct1
	expect_status 0
	[ -z "$stderr" ] || fail "--log-level error printed: $stderr"
	! grep -q warning "$log" || fail "--log-level error logged: $(cat "$log")"
	ocirun --log-level warn run ct2
	expect_status 0
	expect_output_contains 'warning: process\.capabilities\.ambient: CAP_KILL'
	ocirun --log-level error state no-such-ct
	expect_failure
	expect_output_contains 'does not exist'
	ocirun --log-level loud list
	expect_failure
	expect_output_contains '--log-level: unknown level "loud"'
}

@test "a damaged state.json is listed as damaged and delete --force clears the container" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc fails to list or delete a container whose state.json is damaged"
	ocirun run -d ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	: >"$ROOT/ct1/state.json"
	ocirun list
	expect_status 0
	grep -qE '^ct1 .* damaged ' <<<"$stdout" || fail "not listed as damaged: $output"
	ocirun delete ct1
	expect_failure
	expect_output_contains 'delete --force'
	ocirun delete --force ct1
	expect_status 0
	wait_pid_gone "$pid" || fail "the container's process $pid survived"
	expect_nothing_left ct1
}

@test "a state directory left empty by a crash does not block its id" {
	[ "$OCIRUN_NAME" != runc ] || skip "runc refuses an id whose state directory exists"
	mkdir -p "$ROOT/ct1"
	ocirun create ct1
	expect_status 0
	ocirun delete --force ct1
	expect_status 0
	expect_nothing_left ct1
}
