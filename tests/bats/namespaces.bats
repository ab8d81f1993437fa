#!/usr/bin/env bats
# Namespaces: each configured namespace is new, isolates what it should, and
# namespaces given by path are joined.

load helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_containers
	if [ -n "${NETNS:-}" ]; then
		umount "$NETNS"
	fi
}

# use_private_netns: the runtime runs in a network namespace of this test's
# own, $NETNS, so that devices the test makes and moves never touch the
# host's network; in_netns runs a command there.
use_private_netns() {
	NETNS=$BATS_TEST_TMPDIR/netns
	touch "$NETNS"
	unshare --net="$NETNS" true
	local real=$OCIRUN
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-in-netns
	printf '#!/bin/bash\nexec nsenter --net=%q %q "$@"\n' "$NETNS" "$real" >"$OCIRUN"
	chmod +x "$OCIRUN"
}

in_netns() {
	nsenter --net="$NETNS" "$@"
}

# ns_of PID TYPE: the namespace link of a process, e.g. net:[4026531840].
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# add_caps CAP...: add capabilities to every set of the container's process.
add_caps() {
	local caps
	caps=$(printf '"%s",' "$@")
	update_config ".process.capabilities |= with_entries(.value += [${caps%,}] | .value |= unique)"
}

@test "each configured namespace is new" {
	set_cmd 'for t in mnt uts ipc net pid cgroup; do echo "$t $(readlink /proc/self/ns/$t)"; done'
	ocirun run ct1
	expect_status 0
	local t inside
	for t in mnt uts ipc net pid cgroup; do
		inside=$(awk -v t=$t '$1 == t {print $2}' <<<"$stdout")
		[ -n "$inside" ] || fail "no $t namespace line in: $stdout"
		[ "$inside" != "$(ns_of $$ $t)" ] || fail "$t namespace is the host's: $inside"
	done
}

@test "namespaces not configured are shared with the host" {
	# Without root the user namespace stays (nothing else can be made
	# without it), and mqueue, which only the owner of the IPC namespace may
	# mount, goes.
	update_config '.linux.namespaces |= map(select(.type == "mount" or .type == "pid" or .type == "user"))'
	! rootless || update_config '.mounts |= map(select(.type != "mqueue"))'
	set_cmd 'for t in uts ipc net cgroup; do echo "$t $(readlink /proc/self/ns/$t)"; done'
	# Without a UTS namespace there must be no hostname to set.
	update_config 'del(.hostname)'
	ocirun run ct1
	expect_status 0
	local t inside
	for t in uts ipc net cgroup; do
		inside=$(awk -v t=$t '$1 == t {print $2}' <<<"$stdout")
		[ "$inside" = "$(ns_of $$ $t)" ] || fail "$t namespace was unshared though not configured: $inside"
	done
}

@test "hostname is set inside and never changes the host's" {
	local host_name host_uts
	host_name=$(cat /proc/sys/kernel/hostname)
	host_uts=$(ns_of $$ uts)
	update_config '.hostname = "ctr-host-test"'
	add_caps CAP_SYS_ADMIN
	# Only touch the hostname when the UTS namespace really is private.
	update_config ".process.env += [\"HOST_UTS=$host_uts\"]"
	set_cmd 'hostname; [ "$(readlink /proc/self/ns/uts)" != "$HOST_UTS" ] || exit 99; hostname changed-inside && hostname'
	ocirun run ct1
	expect_status 0
	[ "${lines[0]}" = ctr-host-test ] || fail "config hostname not set: $output"
	[ "${lines[1]}" = changed-inside ] || fail "hostname not changeable inside: $output"
	[ "$(cat /proc/sys/kernel/hostname)" = "$host_name" ] || fail "host's hostname changed to $(cat /proc/sys/kernel/hostname)"
}

@test "setting a hostname without a UTS namespace fails" {
	update_config '.linux.namespaces |= map(select(.type != "uts")) | .hostname = "nope"'
	ocirun run ct1
	expect_failure
	expect_nothing_left ct1
}

@test "ps inside shows only the container's processes, PID 1 is the container process" {
	set_cmd 'sleep 100 & sleep 0.2; ps -o pid,args; kill $!'
	ocirun run ct1
	expect_status 0
	local procs
	# Header, then: PID 1 (this shell), the sleep, ps itself.
	procs=$(tail -n +2 <<<"$stdout")
	[ "$(wc -l <<<"$procs")" -eq 3 ] || fail "expected 3 processes: $stdout"
	grep -qE '^ *1 +sh -c sleep 100' <<<"$procs" || fail "PID 1 is not the container process: $stdout"
	# busybox shows a forked applet that has not exec'd yet as "{exe} ...".
	grep -qE '^ *[0-9]+ +(\{[a-z]+\} +)?sleep 100' <<<"$procs" || fail "no sleep: $stdout"
	local max
	max=$(awk '{print $1}' <<<"$procs" | sort -n | tail -1)
	[ "$max" -lt 100 ] || fail "host-sized pids inside: $stdout"
}

@test "a container process cannot signal a host process" {
	sleep 1000 &
	local hostpid=$!
	update_config ".process.env += [\"HOSTPID=$hostpid\"]"
	set_cmd 'if kill -9 "$HOSTPID"; then echo killed; else echo cannot-kill; fi'
	ocirun run ct1
	local st=$status
	sleep 0.2
	local alive=yes
	pid_alive "$hostpid" || alive=no
	kill -9 "$hostpid" 2>/dev/null || true
	wait "$hostpid" 2>/dev/null || true
	[ "$st" -eq 0 ] || fail "run failed: $output"
	[ "$alive" = yes ] || fail "the container killed host process $hostpid"
	grep -q cannot-kill <<<"$stdout" || fail "kill inside did not fail: $stdout"
}

@test "a file in one container's tmpfs is not visible in another or on the host" {
	local b2=$BATS_TEST_TMPDIR/b2 tag=ocirun-$RANDOM$RANDOM
	new_bundle "$b2"
	local mnt='.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m"]}]'
	update_config "$mnt"
	update_config "$mnt" "$b2"
	set_cmd "echo a >/scratch/$tag && echo a >/dev/shm/$tag && echo a >/tmp/$tag-ready && sleep 1000"
	ocirun run --detach ct-a
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/$tag-ready"

	set_cmd "ls -A /scratch /dev/shm; [ ! -e /scratch/$tag ] && [ ! -e /dev/shm/$tag ] && echo isolated" "$b2"
	ocirun run --bundle "$b2" ct-b
	expect_status 0
	grep -qx isolated <<<"$stdout" || fail "B sees A's files: $stdout"

	[ ! -e "$BUNDLE/rootfs/scratch/$tag" ] || fail "tmpfs content reached the rootfs directory"
	[ ! -e "/dev/shm/$tag" ] || fail "container /dev/shm is the host's"
	! grep -F "$BUNDLE/rootfs" /proc/self/mountinfo || fail "container mounts are visible in the caller's mount namespace"
}

@test "a new network namespace has only lo" {
	# Without root /sys is the host's, bound (as spec --rootless has it); the
	# owner of the network namespace may mount its own sysfs.
	! rootless || update_config '.mounts |= map(if .destination == "/sys" then {destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]} else . end)'
	set_cmd 'ls /sys/class/net; echo ---; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	ocirun run ct1
	expect_status 0
	[ "$stdout" = $'lo\n---\nlo' ] || fail "interfaces: $stdout"
}

@test "user namespace maps container root to an unprivileged host uid" {
	requires_root "maps host ids 100000-165535, which the user does not own (rootless.bats maps subordinate ids)"
	local hostdir=$BATS_TEST_TMPDIR/hostdir
	mkdir -m 0777 "$hostdir"
	make_traversable "$BUNDLE"
	mkdir -p "$BUNDLE/rootfs/mnt/host"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	update_config ".mounts += [{\"destination\": \"/mnt/host\", \"type\": \"bind\", \"source\": \"$hostdir\", \"options\": [\"rbind\"]}]"
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user; touch /mnt/host/made-inside; echo $$'
	ocirun run ct1
	expect_status 0
	# The PID namespace, which the user namespace must own, is made after
	# it, and the container's process is its first.
	[ "${lines[4]}" = 1 ] || fail "the container's process is pid ${lines[4]} in its PID namespace"
	read -r a b c <<<"${lines[0]}"
	[ "$a $b $c" = "0 100000 65536" ] || fail "uid_map: ${lines[0]}"
	read -r a b c <<<"${lines[1]}"
	[ "$a $b $c" = "0 100000 65536" ] || fail "gid_map: ${lines[1]}"
	[ "${lines[2]}" = 0 ] || fail "not root inside: ${lines[2]}"
	[ "${lines[3]}" != "$(ns_of $$ user)" ] || fail "user namespace is the host's"
	[ -e "$hostdir/made-inside" ] || fail "file not created"
	[ "$(stat -c %u:%g "$hostdir/made-inside")" = 100000:100000 ] ||
		fail "owner on the host: $(stat -c %u:%g "$hostdir/made-inside")"
}

@test "joining net, ipc and uts namespaces by path" {
	requires_root "joins namespaces owned by another container's user namespace (rootless.bats joins it too)"
	update_config '.hostname = "ctr-a"'
	add_caps CAP_NET_ADMIN
	set_cmd 'ip link set lo up && echo ready >/tmp/ready && sleep 1000'
	ocirun run --detach ct-a
	expect_status 0
	wait_for_file "$BUNDLE/rootfs/tmp/ready"
	local pida
	pida=$(state_field ct-a pid)

	local b2=$BATS_TEST_TMPDIR/b2
	new_bundle "$b2"
	join_namespaces_of "$pida" "$b2" net ipc uts
	update_config '.process.args[2] += "; ip link show lo"' "$b2"
	ocirun run --bundle "$b2" ct-b
	expect_status 0
	[ "${lines[0]}" = ctr-a ] || fail "B does not see A's hostname: $stdout"
	expect_joined_only "$pida" net ipc uts
	grep -qE 'lo:.*<[^>]*\bUP\b' <<<"$stdout" || fail "B does not see A's lo up: $stdout"
	[ "$(state_field ct-a status)" = running ] || fail "B's exit stopped A"
}

@test "joining a namespace path that does not exist fails cleanly" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/999999999/ns/net" else . end)'
	ocirun run ct1
	expect_failure
	expect_output_contains '/proc/999999999/ns/net'
	expect_nothing_left ct1
}

@test "a PID namespace the kernel refuses is named in the error, and nothing is left" {
	requires_root "runs the runtime as root of a user namespace of its own, with no PID namespaces allowed"
	local real=$OCIRUN
	OCIRUN=$BATS_TEST_TMPDIR/ocirun-no-pidns
	printf '#!/bin/bash\nexec unshare --user --map-root-user sh -c %q %q "$@"\n' \
		'echo 0 >/proc/sys/user/max_pid_namespaces && exec "$0" "$@"' "$real" >"$OCIRUN"
	chmod +x "$OCIRUN"
	ocirun run ct1
	OCIRUN=$real
	expect_failure
	expect_output_contains 'new pid namespace: no space left on device \(the limit of PID namespaces, /proc/sys/user/max_pid_namespaces, is reached\)'
	expect_nothing_left ct1
	expect_no_cgroup
}

@test "time namespace offsets are visible inside" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	! runtime_is_runc_before 1.2 || skip "runc before 1.2 has no time namespace support"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 86400, "nanosecs": 0}}'
	# A forked child, in case only children enter the new time namespace.
	set_cmd 'cut -d" " -f1 /proc/uptime & wait; readlink /proc/self/ns/time; echo $$'
	local before
	before=$(cut -d' ' -f1 /proc/uptime)
	ocirun run ct1
	expect_status 0
	local inside=${lines[0]}
	awk -v i="$inside" -v b="$before" 'BEGIN { d = i - b; exit !(d > 864000 - 30 && d < 864000 + 30) }' ||
		fail "uptime inside $inside, host $before: boottime offset not applied"
	[ "${lines[1]}" != "$(ns_of $$ time)" ] || fail "time namespace is the host's"
	# The time namespace makes stage 0 fork: the container's process is
	# still its PID namespace's first.
	[ "${lines[2]}" = 1 ] || fail "the container's process is pid ${lines[2]} in its PID namespace"
}

@test "linux.rootfsPropagation unbindable and runbindable apply to the container's root" {
	local prop
	for prop in unbindable runbindable; do
		update_config ".linux.rootfsPropagation = \"$prop\""
		# Mount point and optional fields (up to "-") of / and /proc.
		set_cmd 'awk '\''$5 == "/" || $5 == "/proc" {o = ""; for (i = 7; $i != "-"; i++) o = o " " $i; print $5 o}'\'' /proc/self/mountinfo'
		ocirun run "ct-$prop"
		expect_status 0
		grep -qx '/ unbindable' <<<"$stdout" || fail "$prop: / is not unbindable: $stdout"
		if [ "$prop" = runbindable ]; then
			grep -qx '/proc unbindable' <<<"$stdout" || fail "$prop: /proc is not unbindable: $stdout"
		else
			grep -q '^/proc .*unbindable' <<<"$stdout" && fail "$prop: /proc is unbindable too: $stdout"
		fi
	done
}

# ---------------------------------------------------------------------------
# linux.netDevices

@test "netDevices: a device moves into the container, renamed, with its address, up" {
	requires_root "makes a network namespace to move devices from"
	use_private_netns
	in_netns ip link add vh0 type veth peer name vh1
	in_netns ip addr add 10.99.0.1/24 dev vh0
	in_netns ip link set vh1 up
	update_config '.linux.netDevices = {"vh0": {"name": "ctr0"}}'
	ocirun run -d ct1
	expect_status 0
	ocirun exec ct1 sh -c 'ip -o -4 addr show dev ctr0; cat /sys/class/net/ctr0/flags'
	expect_status 0
	grep -q 'inet 10\.99\.0\.1/24' <<<"$stdout" || fail "address not kept: $stdout"
	(( $(tail -1 <<<"$stdout") & 1 )) || fail "ctr0 is not up: $stdout"
	! in_netns ip link show vh0 >/dev/null 2>&1 || fail "vh0 is still in the runtime's namespace"
	# A veth does not come back: the kernel destroys it, and its peer, with
	# the container's network namespace.
	ocirun delete --force ct1
	expect_status 0
	local deadline=$((SECONDS + 20))
	while in_netns ip link show vh1 >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "the peer vh1 outlived the container's network namespace"
		sleep 0.2
	done
	! in_netns ip link show vh0 >/dev/null 2>&1 || fail "vh0 came back"
}

@test "netDevices: a \"%d\" template lets the kernel number the devices" {
	requires_root "makes a network namespace to move devices from"
	use_private_netns
	in_netns ip link add va0 type veth peer name vb0
	in_netns ip link add va1 type veth peer name vb1
	update_config '.linux.netDevices = {"va0": {"name": "eth%d"}, "va1": {"name": "eth%d"}}'
	ocirun run -d ct1
	expect_status 0
	ocirun exec ct1 sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	expect_status 0
	[ "$stdout" = "eth0 eth1 lo " ] || fail "devices in the container: $stdout"
}

@test "netDevices: a name taken in the container fails the create and leaves the device" {
	requires_root "makes a network namespace to move devices from"
	use_private_netns
	in_netns ip link add vh0 type veth peer name vh1
	update_config '.linux.netDevices = {"vh0": {"name": "lo"}}'
	ocirun run -d ct1
	expect_failure
	expect_output_contains 'linux\.netDevices\["vh0"\]: .*the container already has a device named "lo"'
	expect_nothing_left ct1
	in_netns ip link show vh0 >/dev/null || fail "vh0 is gone from the runtime's namespace"
}

@test "netDevices: a missing device or no new network namespace is refused" {
	requires_root "makes a network namespace to move devices from"
	use_private_netns
	update_config '.linux.netDevices = {"nosuch0": {}}'
	ocirun run -d ct1
	expect_failure
	expect_output_contains 'linux\.netDevices\["nosuch0"\]: find the device: no such device'
	expect_nothing_left ct1
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	ocirun run -d ct2
	expect_failure
	expect_output_contains 'linux\.netDevices: .*needs a new network namespace'
	expect_nothing_left ct2
}
