#!/usr/bin/env bats
# ocirun ns: a container's namespaces as the kernel sees them, and --all,
# which groups the containers of a root by the namespaces they share.

load helpers

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "runc has no ns command"
	setup_bundle
}

teardown() {
	teardown_containers
}

inode_of() {
	stat -L -c %i "/proc/$1/ns/$2"
}

# ns_field TYPE FIELD: one field of a namespace in the last --format json.
ns_field() {
	jq -r --arg t "$1" --arg f "$2" '.namespaces[] | select(.type == $t) | .[$f] // "" | if type == "array" then join(",") else . end' <<<"$stdout"
}

@test "ns: one container, created, running and paused, as /proc shows it" {
	ocirun create ct1
	expect_status 0
	local pid
	pid=$(state_field ct1 pid)
	ocirun ns --format json ct1
	expect_status 0
	[ "$(jq -r .status <<<"$stdout")" = created ] || fail "status"
	[ "$(jq '.namespaces | length' <<<"$stdout")" = 8 ] || fail "not 8 namespaces"
	for t in mount pid network ipc uts cgroup; do
		[ "$(ns_field "$t" origin)" = created ] || fail "$t: $(ns_field "$t" origin)"
	done
	[ "$(ns_field user origin)" = host ] || fail "user: $(ns_field user origin)"
	local f t
	for f in mnt:mount pid:pid net:network ipc:ipc uts:uts cgroup:cgroup user:user time:time; do
		t=${f#*:}
		[ "$(ns_field "$t" inode)" = "$(inode_of "$pid" "${f%%:*}")" ] || fail "$t inode differs from /proc"
	done
	[ "$(jq -r '.namespaces[] | select(.type == "pid") | .processes[0] | "\(.pid) \(.nspid)"' <<<"$stdout")" = "$pid 1" ] ||
		fail "the init is not pid 1 of the pid namespace"

	ocirun start ct1
	expect_status 0
	ocirun ns ct1
	expect_status 0
	[ "${lines[0]}" = "container ct1: running, init pid $pid" ] || fail "header: ${lines[0]}"
	expect_output_contains "^network +$(inode_of "$pid" net) +created"
	expect_output_contains '^pid namespace: [0-9]+ processes'

	ocirun pause ct1
	expect_status 0
	ocirun ns --format json ct1
	expect_status 0
	[ "$(jq -r .status <<<"$stdout")" = paused ] || fail "status"
	ocirun resume ct1
}

@test "ns: a stopped container is explained" {
	set_cmd 'true'
	ocirun run --keep ct1
	expect_status 0
	ocirun ns ct1
	expect_failure
	[ "$(tail -1 <<<"$stderr")" = 'ocirun: container "ct1" is stopped: its namespaces ended with its init, so there is nothing to show' ] ||
		fail "last line: $(tail -1 <<<"$stderr")"
	ocirun delete ct1
}

@test "ns: two containers sharing net and ipc by path, and --all" {
	ocirun run --detach ct-a
	expect_status 0
	local pa
	pa=$(state_field ct-a pid)
	local b=$BATS_TEST_TMPDIR/b c=$BATS_TEST_TMPDIR/c
	new_bundle "$b"
	new_bundle "$c"
	update_config "(.linux.namespaces[] | select(.type == \"network\")) += {\"path\": \"/proc/$pa/ns/net\"}
		| (.linux.namespaces[] | select(.type == \"ipc\")) += {\"path\": \"/proc/$pa/ns/ipc\"}" "$b"
	ocirun run --detach --bundle "$b" ct-b
	expect_status 0
	ocirun run --detach --bundle "$c" ct-c
	expect_status 0

	ocirun ns --format json ct-b
	expect_status 0
	[ "$(ns_field network origin)" = joined ] || fail "network: $(ns_field network origin)"
	[ "$(ns_field network path)" = "/proc/$pa/ns/net" ] || fail "path: $(ns_field network path)"
	[ "$(ns_field network sharedWith)" = ct-a ] || fail "network shared with: $(ns_field network sharedWith)"
	[ "$(ns_field ipc sharedWith)" = ct-a ] || fail "ipc shared with: $(ns_field ipc sharedWith)"
	[ "$(ns_field uts sharedWith)" = "" ] || fail "uts shared with: $(ns_field uts sharedWith)"
	ocirun ns --format json ct-a
	[ "$(ns_field network sharedWith)" = ct-b ] || fail "ct-a network shared with: $(ns_field network sharedWith)"

	ocirun ns --all --format json
	expect_status 0
	[ "$(jq length <<<"$stdout")" = 2 ] || fail "expected 2 groups"
	[ "$(jq -r '.[0].containers | join(",")' <<<"$stdout")" = ct-a,ct-b ] || fail "pod group: $stdout"
	[ "$(jq -r '.[0].shared | join(" ")' <<<"$stdout")" = "ipc:[$(inode_of "$pa" ipc)] network:[$(inode_of "$pa" net)]" ] ||
		fail "shared: $(jq -r '.[0].shared' <<<"$stdout")"
	[ "$(jq -r '.[1].containers | join(",")' <<<"$stdout")" = ct-c ] || fail "second group: $stdout"
	ocirun ns --all
	expect_status 0
	expect_output_contains '^1 +ct-a,ct-b +ipc'
	expect_output_contains '^2 +ct-c'
}

@test "ns: a user-namespaced container shows its maps and owner" {
	local d=$BUNDLE
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	ocirun run --detach ct1
	expect_status 0
	ocirun ns --format json ct1
	expect_status 0
	[ "$(ns_field user origin)" = created ] || fail "user: $(ns_field user origin)"
	[ "$(ns_field user uidMap)" = "0 100000 65536" ] || fail "uid map: $(ns_field user uidMap)"
	[ "$(ns_field user gidMap)" = "0 100000 65536" ] || fail "gid map: $(ns_field user gidMap)"
	[ "$(ns_field user ownerUid)" = "$(id -u)" ] || fail "owner: $(ns_field user ownerUid)"
	ocirun ns ct1
	expect_output_contains '^user namespace: owner uid [0-9]+; uid_map 0 100000 65536; gid_map 0 100000 65536$'
}
