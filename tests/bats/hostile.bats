#!/usr/bin/env bats
# A hostile container or rootfs against the runtime: each test attempts an
# escape from a known class of runtime CVE and checks a host canary that
# the attempt must leave untouched.

load helpers

setup() {
	setup_bundle
	CANARY=$BATS_TEST_TMPDIR/canary
	echo host-secret >"$CANARY"
	HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	mkdir "$HOSTDIR"
	echo host-secret >"$HOSTDIR/file"
}

teardown() {
	teardown_containers
}

# expect_canary_intact: the host canaries have their content, nothing more,
# and nothing is mounted on them.
expect_canary_intact() {
	[ "$(cat "$CANARY")" = host-secret ] || fail "host canary changed: $(cat "$CANARY")" || return 1
	[ "$(ls -A "$HOSTDIR")" = file ] || fail "host dir changed: $(ls -A "$HOSTDIR")" || return 1
	[ "$(cat "$HOSTDIR/file")" = host-secret ] || fail "host dir file changed" || return 1
	! grep -qF " $BATS_TEST_TMPDIR/canary" /proc/self/mountinfo || fail "something is mounted on the canary" || return 1
	! grep -qF " $HOSTDIR" /proc/self/mountinfo || fail "something is mounted on the host dir" || return 1
}

# expect_no_secret: the container never showed the canary's content.
expect_no_secret() {
	! grep -q host-secret <<<"$output" || fail "the container read a host file: $output"
}

# exe_hash: the runtime binary's hash as the host sees it.
exe_hash() {
	sha256sum "$(readlink -f "$OCIRUN")" | cut -d' ' -f1
}

# ---------------------------------------------------------------------------
# CVE-2019-5736: overwriting the runtime through /proc/PID/exe

@test "the runtime binary cannot be opened for writing through /proc/1/exe of a created container" {
	local before
	before=$(exe_hash)
	ocirun create ct1
	expect_status 0
	# PID 1 of a created container is the runtime's init, waiting for start.
	# CAP_SYS_PTRACE lets the attacker reach its /proc/1/exe at all.
	local attack='readlink /proc/1/exe >/dev/null && echo exe-visible; echo evil >/proc/1/exe; echo "rc=$?"; echo evil >>/proc/1/exe; echo "rc=$?"'
	ocirun exec ct1 sh -c "$attack"
	expect_status 0
	! grep -qx 'rc=0' <<<"$stdout" || fail "/proc/1/exe was opened for writing: $output"
	ocirun exec --cap CAP_SYS_PTRACE ct1 sh -c "$attack"
	expect_status 0
	! grep -qx 'rc=0' <<<"$stdout" || fail "/proc/1/exe was opened for writing: $output"
	grep -qx exe-visible <<<"$stdout" || fail "/proc/1/exe not reachable even with CAP_SYS_PTRACE: $output"
	# Refused because the binary is on a read-only mount, not only because
	# it is running (that protection ends when it exits).
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'Read-only file system'
	[ "$(exe_hash)" = "$before" ] || fail "the runtime binary changed"
}

# CVE-2016-9962: the runtime's processes inside a container are not
# dumpable, so the container cannot reach their fds or memory, whatever
# they happen to hold.
@test "the container cannot read the fds or memory of the start waiter" {
	ocirun create ct1
	expect_status 0
	ocirun exec ct1 sh -c 'readlink /proc/1/fd/0 >/dev/null 2>&1 && echo fds-readable; head -c1 /proc/1/environ >/dev/null 2>&1 && echo environ-readable; echo done'
	expect_status 0
	grep -qx done <<<"$stdout" || fail "the probe did not run: $output"
	! grep -q readable <<<"$stdout" || fail "the start waiter is dumpable: $output"
	# Once the user's process runs, it is an ordinary process again: the
	# same probe reaches it, so the refusal above is the waiter's.
	ocirun start ct1
	expect_status 0
	ocirun exec ct1 sh -c 'readlink /proc/1/fd/0 >/dev/null 2>&1 && echo fds-readable; echo done'
	grep -qx fds-readable <<<"$stdout" || fail "the user's process is not readable either: $output"
}

@test "a handle on /proc/1/exe kept across start cannot be reopened for writing" {
	local before
	before=$(exe_hash)
	ocirun create ct1
	expect_status 0
	# Open the init's binary read-only while it runs, wait for start (the
	# init execs the user process, so the binary is no longer busy), then
	# reopen the handle for writing.
	"$OCIRUN" --root "$ROOT" exec -d --cap CAP_SYS_PTRACE ct1 sh -c '
		if ! { exec 3</proc/1/exe; } 2>/tmp/err; then echo open-failed >/tmp/rc; exit 0; fi
		while [ ! -e /tmp/go ]; do usleep 50000; done
		echo evil 2>/tmp/err >/proc/$$/fd/3
		echo "$?" >/tmp/rc' </dev/null >/dev/null 2>&1 3>&-
	ocirun start ct1
	expect_status 0
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for_file "$BUNDLE/rootfs/tmp/rc"
	local rc
	rc=$(cat "$BUNDLE/rootfs/tmp/rc")
	[ "$rc" != 0 ] || fail "the runtime binary was reopened for writing"
	[ "$(exe_hash)" = "$before" ] || fail "the runtime binary changed"
	[ "$rc" != open-failed ] || fail "could not open /proc/1/exe even read-only: $(cat "$BUNDLE/rootfs/tmp/err")"
	[ "$OCIRUN_NAME" = runc ] || grep -q 'Read-only file system' "$BUNDLE/rootfs/tmp/err" ||
		fail "reopen failed with: $(cat "$BUNDLE/rootfs/tmp/err")"
}

# ---------------------------------------------------------------------------
# CVE-2024-21626: leaked fds and a host working directory

# FDS_OF_CHILD: the fds a child of the container's shell inherits, listed
# from another process (a process listing its own /proc/self/fd sees the
# directory it reads).
# The short sleep lets the shell finish redirecting the job's stdin to
# /dev/null (it closes fd 0 first) before the fds are listed.
FDS_OF_CHILD='sleep 100 & p=$!; sleep 0.2; ls /proc/$p/fd | sort -n | tr "\n" " "; kill $p'

@test "only stdio reaches the container's processes" {
	# bats itself keeps fds above 2 open; the runtime inherits them.
	set_cmd "$FDS_OF_CHILD"
	ocirun run ct1
	expect_status 0
	[ "$stdout" = "0 1 2 " ] || fail "fds of the container's init: $stdout"

	set_args "$BUNDLE" "${LONG_RUNNING[@]}"
	ocirun run -d ct2
	expect_status 0
	local pid
	pid=$(state_field ct2 pid)
	[ "$(ls /proc/$pid/fd | sort -n | tr '\n' ' ')" = "0 1 2 " ] || fail "fds of a detached init: $(ls -l /proc/$pid/fd)"
	ocirun exec ct2 sh -c "$FDS_OF_CHILD"
	expect_status 0
	[ "$stdout" = "0 1 2 " ] || fail "fds of an exec'd process: $stdout"
}

@test "preserved fds are the only extra fds" {
	set_cmd "$FDS_OF_CHILD; echo through-fd-3 >&3"
	local out=$BATS_TEST_TMPDIR/fd3
	run timeout 30 "$OCIRUN" --root "$ROOT" run --preserve-fds 1 ct1 3>"$out" </dev/null
	[ "$status" -eq 0 ] || fail "run --preserve-fds: $output"
	[ "$output" = "0 1 2 3 " ] || fail "fds: $output"
	[ "$(cat "$out")" = through-fd-3 ] || fail "fd 3 is not the caller's fd 3: $(cat "$out")"
}

@test "process.cwd through /proc/self/fd cannot be a host directory" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config ".process.cwd = \"/proc/self/fd/$n\""
		set_cmd "cat ../../../../../../../../..$CANARY 2>&1; ls ../../../../../../../../..$HOSTDIR 2>&1; pwd -P; true"
		ocirun run ct$n
		expect_no_secret
		[ "$status" -eq 0 ] || expect_failure
		! grep -qx file <<<"$stdout" || fail "cwd $n reached the host dir: $output"
	done
	expect_canary_intact
}

@test "exec --cwd through /proc/self/fd cannot be a host directory" {
	ocirun run -d ct1
	expect_status 0
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		ocirun exec --cwd "/proc/self/fd/$n" ct1 sh -c "cat ../../../../../../../../..$CANARY 2>&1; ls ../../../../../../../../..$HOSTDIR 2>&1; true"
		expect_no_secret
		! grep -qx file <<<"$stdout" || fail "cwd $n reached the host dir: $output"
	done
	expect_canary_intact
}

# ---------------------------------------------------------------------------
# CVE-2019-19921, CVE-2023-27561: /proc and /sys are symlinks in the rootfs

@test "a rootfs whose /proc is a symlink is refused" {
	set_cmd 'cat /proc/self/status >/dev/null && echo ok'
	rmdir "$BUNDLE/rootfs/proc"
	ln -s "$HOSTDIR" "$BUNDLE/rootfs/proc"
	ocirun run ct1
	expect_failure
	expect_nothing_left ct1
	expect_canary_intact

	rm "$BUNDLE/rootfs/proc"
	mkdir "$BUNDLE/rootfs/realproc"
	ln -s realproc "$BUNDLE/rootfs/proc"
	ocirun run ct2
	expect_failure
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'symlink'
	expect_nothing_left ct2
}

@test "a rootfs whose /sys is a symlink is refused" {
	set_cmd 'echo ok'
	rmdir "$BUNDLE/rootfs/sys"
	ln -s "../../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/sys"
	ocirun run ct1
	expect_failure
	expect_nothing_left ct1
	expect_canary_intact
}

# ---------------------------------------------------------------------------
# CVE-2021-30465: mount destinations that are symlinks to the host

@test "a /dev symlinked to a host directory gets no device on the host" {
	rmdir "$BUNDLE/rootfs/dev/pts" "$BUNDLE/rootfs/dev/shm" "$BUNDLE/rootfs/dev/mqueue" "$BUNDLE/rootfs/dev"
	ln -s "$HOSTDIR" "$BUNDLE/rootfs/dev"
	set_cmd 'ls /dev; echo x >/dev/null; true'
	ocirun run ct1
	[ "$status" -eq 0 ] || expect_failure
	expect_no_secret
	expect_canary_intact
}

@test "mount destinations symlinked out of the rootfs stay inside it" {
	mkdir "$BATS_TEST_TMPDIR/volume"
	echo volume-content >"$BATS_TEST_TMPDIR/volume/v"
	ln -s "$HOSTDIR" "$BUNDLE/rootfs/data"
	ln -s "../../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/data2"
	update_config '.mounts += [
		{"destination": "/data", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/data2", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/volume"'", "options": ["bind"]}
	]'
	set_cmd 'echo evil >/data/file 2>&1; echo evil >/data/new 2>&1; cat /data2/v; ls /data /data2; cat /data2/file 2>&1; true'
	ocirun run ct1
	[ "$status" -eq 0 ] || expect_failure
	expect_no_secret
	expect_canary_intact
	[ "$(cat "$BATS_TEST_TMPDIR/volume/v")" = volume-content ] || fail "the volume changed"
}

@test "an id-mapped mount on a destination symlinked out of the rootfs stays inside it" {
	mkdir "$BATS_TEST_TMPDIR/volume"
	echo volume-content >"$BATS_TEST_TMPDIR/volume/v"
	ln -s "../../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/data"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/volume"'", "options": ["bind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}]}]'
	set_cmd 'cat /data/v; ls /data; cat /data/file 2>&1; echo evil >/data/new 2>&1; true'
	ocirun run ct1
	expect_status 0
	# The symlink was followed inside the rootfs, where the volume landed.
	expect_output_contains '^volume-content$'
	expect_no_secret
	expect_canary_intact
	[ "$(cat "$BATS_TEST_TMPDIR/volume/v")" = volume-content ] || fail "the volume changed"
}

# ---------------------------------------------------------------------------
# CVE-2025-31133: a /dev/null that is not the null device, used to mask
# paths. The fake points at a host file visible through a read-only volume
# (never at a real procfs file: a vulnerable runtime would change the host).

# fake_null_setup: a masked /secret in the rootfs and the host dir as a
# read-only volume at /vol; the caller plants the fake /dev/null.
fake_null_setup() {
	echo container-secret >"$BUNDLE/rootfs/secret"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .mounts += [{"destination": "/vol", "type": "bind", "source": "'"$HOSTDIR"'", "options": ["rbind", "ro"]}]
		| .linux.maskedPaths += ["/secret"]'
	set_cmd 'stat -c "%F %t:%T" /secret; cat /secret; echo evil >/secret 2>&1; true'
}

@test "a rootfs /dev/null symlinked to a host file does not become a mask" {
	fake_null_setup
	# Without a /dev mount the rootfs's own /dev is used.
	ln -sf /vol/file "$BUNDLE/rootfs/dev/null"
	ocirun run ct1
	[ "$status" -eq 0 ] || expect_failure
	expect_no_secret
	expect_canary_intact
	if [ "$status" -eq 0 ]; then
		grep -qx 'character special file 1:3' <<<"$stdout" || fail "/secret is not masked with the null device: $output"
		! grep -q container-secret <<<"$stdout" || fail "/secret is not masked: $output"
	fi
}

@test "a /dev bound from the host with a fake null is refused for masking" {
	fake_null_setup
	local devdir=$BATS_TEST_TMPDIR/devdir
	mkdir "$devdir"
	ln -s /vol/file "$devdir/null"
	update_config '.mounts += [{"destination": "/dev", "type": "bind", "source": "'"$devdir"'", "options": ["rbind"]}]'
	ocirun run ct1
	expect_no_secret
	expect_canary_intact
	expect_failure
	[ "$OCIRUN_NAME" = runc ] || expect_output_contains 'not the null device'
	expect_nothing_left ct1
}

# ---------------------------------------------------------------------------
# CVE-2025-52881: procfs writes redirected by the container's mounts

@test "a bind mount over a /proc/sys file cannot redirect a sysctl write" {
	# A runtime that writes sysctls through the container's /proc writes
	# the host file bound there instead.
	update_config '.linux.readonlyPaths = []
		| .mounts += [{"destination": "/proc/sys/kernel/msgmax", "type": "bind", "source": "'"$CANARY"'", "options": ["bind"]}]
		| .linux.sysctl = {"kernel.msgmax": "4321"}'
	set_cmd 'echo done'
	ocirun run ct1
	# runc refuses mounts inside /proc altogether.
	[ "$status" -eq 0 ] || expect_failure
	expect_canary_intact
}
