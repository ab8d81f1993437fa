#!/usr/bin/env bats
# Rootless podman (+ conmon) drives the runtime: podman runs as the
# unprivileged account tests/rootless/run.sh makes, in a user namespace of its
# own built from the account's subordinate ids, with the cgroupfs manager, vfs
# storage, no network, events and logs in files (no systemd here) and an
# image imported offline. Every call of the runtime goes through a wrapper
# that records its arguments, and for create the bundle's config.json, in
# $PODMAN_RECORD (run.sh keeps it in build/rootless-podman-RUNTIME/, with a
# summary of what podman passed).

load ../bats/helpers
bats_require_minimum_version 1.5.0

IMG=localhost/busybox:test

setup_file() {
	rootless || skip "runs without root only (tests/rootless/run.sh)"
	command -v podman >/dev/null && command -v conmon >/dev/null || skip "podman or conmon is not installed"
	PM=$HOME/podman
	RECORD=${PODMAN_RECORD:-$BATS_FILE_TMPDIR/record}
	mkdir -p "$PM/tmp" "$PM/bin" "$RECORD"
	: >"$RECORD/calls.log"
	# The wrapper has the runtime's name: podman treats runtimes by name.
	WRAPPER=$PM/bin/$OCIRUN_NAME
	cat >"$WRAPPER" <<-EOF
		#!/bin/bash
		record=$(printf '%q' "$RECORD")
		real=$(printf '%q' "$OCIRUN")
	EOF
	cat >>"$WRAPPER" <<-'EOF'
		{
			printf 'euid=%s uid_map=[%s] env=[%s]' "$(id -u)" "$(tr -s ' \n' ' ,' </proc/self/uid_map | sed 's/^ //; s/,$//')" \
				"$(env | grep -E '^(XDG_RUNTIME_DIR|USER|HOME|_CONTAINERS_[A-Z_]*|NOTIFY_SOCKET|LISTEN_[A-Z]*)=' | sort | tr '\n' ' ' | sed 's/ $//')"
			printf ' %q' "$@"
			printf '\n'
		} >>"$record/calls.log"
		bundle= prev= cmd=
		for a in "$@"; do
			case $prev in --bundle | -b) bundle=$a ;; esac
			case $a in --bundle=*) bundle=${a#--bundle=} ;; create | run) [ -n "$cmd" ] || cmd=$a ;; esac
			prev=$a
		done
		if [ -n "$cmd" ] && [ -f "$bundle/config.json" ]; then
			cp "$bundle/config.json" "$record/config.$(date +%s%N).json"
		fi
		exec "$real" "$@"
	EOF
	chmod +x "$WRAPPER"
	cat >"$PM/containers.conf" <<-EOF
		[containers]
		log_driver = "k8s-file"

		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PM/events.log"
		image_copy_tmp_dir = "$PM/tmp"
		runtime_supports_json = ["$OCIRUN_NAME"]
	EOF
	cat >"$PM/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		graphroot = "$PM/root"
		runroot = "$PM/runroot"
	EOF
	echo 'unqualified-search-registries = []' >"$PM/registries.conf"
	export PM RECORD WRAPPER CONTAINERS_CONF=$PM/containers.conf \
		CONTAINERS_STORAGE_CONF=$PM/storage.conf CONTAINERS_REGISTRIES_CONF=$PM/registries.conf

	# The image: the suite's busybox rootfs, with a user 1000 known by name.
	local rootfs
	rootfs=$(rootfs_cache)
	cp -a "$rootfs" "$PM/image"
	echo 'tester:x:1000:1000:tester:/home/tester:/bin/sh' >>"$PM/image/etc/passwd"
	echo 'tester:x:1000:' >>"$PM/image/etc/group"
	tar -C "$PM/image" -cf "$PM/image.tar" .
	pm import --change 'CMD ["/bin/sh"]' "$PM/image.tar" "$IMG" >/dev/null
}

teardown() {
	rootless || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
}

teardown_file() {
	rootless || return 0
	[ -n "${PM:-}" ] || return 0
	summarize_record >"$RECORD/summary.txt" || true
	# Storage owned by subordinate ids is removed from inside podman's user
	# namespace; then the process that holds that namespace ends.
	pm system reset --force >/dev/null 2>&1 || true
	local pidfile p
	for pidfile in "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" "$PM/runroot/pause.pid"; do
		[ -f "$pidfile" ] || continue
		p=$(cat "$pidfile")
		kill "$p" 2>/dev/null && wait_pid_gone "$p" 5 || true
	done
	rm -rf "$PM"
}

# pm ARGS...: podman as the tests configure it, the runtime through the
# recording wrapper.
pm() {
	timeout -k 5 120 podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file --runtime "$WRAPPER" "$@"
}

# summarize_record: what podman passed to the runtime, in short: the distinct
# argument lists with ids and paths generalised, and per config the fields a
# rootless runtime must handle.
summarize_record() {
	echo "# runtime calls (ids, pids and paths generalised), with counts"
	sed -E 's/[0-9a-f]{64}/ID/g; s|/[^ ]*/|PATH/|g' "$RECORD/calls.log" | sort | uniq -c
	echo "# state directories the runtime made in XDG_RUNTIME_DIR: $(ls -A "$XDG_RUNTIME_DIR" | tr '\n' ' ')"
	local f
	for f in "$RECORD"/config.*.json; do
		[ -f "$f" ] || continue
		echo "# $(basename "$f"): $(jq -r '.process.args | join(" ")' "$f")"
		jq -c '{cgroupsPath: .linux.cgroupsPath, namespaces: .linux.namespaces, uidMappings: .linux.uidMappings,
			gidMappings: .linux.gidMappings, oomScoreAdj: .process.oomScoreAdj, rlimits: .process.rlimits,
			user: .process.user, resources: .linux.resources, sysfs: [.mounts[] | select(.destination == "/sys")],
			devpts: [.mounts[] | select(.destination == "/dev/pts")], cgroupMount: [.mounts[] | select(.destination == "/sys/fs/cgroup")]}' "$f"
	done
}

@test "podman run --rm: output and exit status, nothing left" {
	run --separate-stderr pm run --rm --network none "$IMG" echo hi
	[ "$status" = 0 ] || fail "run: $status: $output $stderr"
	[ "$output" = hi ] || fail "output: $output"
	run --separate-stderr pm run --rm --network none "$IMG" sh -c 'exit 42'
	[ "$status" = 42 ] || fail "exit status: $status, want 42: $stderr"
	run pm ps -aq
	[ -z "$output" ] || fail "containers left: $output"
}

@test "podman run -d, exec, logs, stop, rm" {
	run --separate-stderr pm run -d --name web --network none "$IMG" sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done'
	[ "$status" = 0 ] || fail "run -d: $output $stderr"
	run --separate-stderr pm exec web sh -c 'echo from-exec; exit 5'
	[ "$status" = 5 ] && [ "$output" = from-exec ] || fail "exec: $status: $output $stderr"
	local deadline=$((SECONDS + 10))
	until pm logs web 2>/dev/null | grep -q started; do
		[ $SECONDS -lt $deadline ] || fail "no log line: $(pm logs web 2>&1)"
		sleep 0.2
	done
	run --separate-stderr pm stop -t 10 web
	[ "$status" = 0 ] || fail "stop: $output $stderr"
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' web
	[ "$output" = "exited 0" ] || fail "after stop: $output"
	run pm logs web
	[[ $(tr '\n' ' ' <<<"$output") == *started*got-term* ]] || fail "logs: $output"
	run --separate-stderr pm rm web
	[ "$status" = 0 ] || fail "rm: $output $stderr"
	run pm ps -aq
	[ -z "$output" ] || fail "containers left: $output"
}

@test "podman run --user 1000: a subordinate id on the host" {
	local us
	us=$(subordinate_ids /etc/subuid | cut -d' ' -f1)
	[ -n "$us" ] || skip "$(id -un) has no subordinate ids"
	run --separate-stderr pm run --rm --network none --user 1000 "$IMG" sh -c 'id -u; id -un'
	[ "$status" = 0 ] || fail "run --user 1000: $output $stderr"
	[ "$output" = $'1000\ntester' ] || fail "output: $output"
	run --separate-stderr pm run -d --name u1000 --network none --user 1000 "$IMG" sleep 300
	[ "$status" = 0 ] || fail "run -d --user 1000: $output $stderr"
	local pid
	pid=$(pm inspect --format '{{.State.Pid}}' u1000)
	# Podman's user namespace maps container uid 1000 to subordinate id 1000
	# (its id 0 is the account itself).
	grep -qE "^Uid:[[:space:]]+$((us + 999))[[:space:]]" "/proc/$pid/status" || fail "host uid: $(grep ^Uid: "/proc/$pid/status")"
}

@test "podman run -v DIR:/data: the container reads and writes the user's directory" {
	local dir=$BATS_TEST_TMPDIR/vol
	mkdir "$dir"
	echo from-host >"$dir/in"
	run --separate-stderr pm run --rm --network none -v "$dir:/data" "$IMG" sh -c 'cat /data/in; echo from-ctr >/data/out'
	[ "$status" = 0 ] || fail "run -v: $output $stderr"
	[ "$output" = from-host ] || fail "read: $output"
	[ "$(cat "$dir/out")" = from-ctr ] || fail "write: $(cat "$dir/out")"
	# Container root is the account itself.
	[ "$(stat -c %u "$dir/out")" = "$(id -u)" ] || fail "owner: $(stat -c %u "$dir/out")"
}

@test "podman top lists the container's processes" {
	run --separate-stderr pm run -d --name tp --network none "$IMG" sh -c 'sleep 301 & sleep 302'
	[ "$status" = 0 ] || fail "run -d: $output $stderr"
	local deadline=$((SECONDS + 10))
	until pm top tp 2>/dev/null | grep -q 'sleep 302'; do
		[ $SECONDS -lt $deadline ] || fail "top: $(pm top tp 2>&1)"
		sleep 0.2
	done
	run --separate-stderr pm top tp
	[ "$status" = 0 ] || fail "top: $output $stderr"
	grep -q 'sleep 301' <<<"$output" || fail "top does not show the child: $output"
}
