#!/usr/bin/env bats
# ocirun's processes map their binary in with two system calls before the
# Go runtime starts, instead of faulting it in page by page (package
# prefault): the command line at its ELF entry, stage 1 in stage 0's child.
# Not where the init must stay small in the container's memory cgroup.

load helpers

setup() {
	[ "$OCIRUN_NAME" != runc ] || skip "runc's processes fault their pages in"
	command -v strace >/dev/null || skip "strace is not installed"
	setup_bundle
	TRACE=$BATS_TEST_TMPDIR/trace
	# ocirun under strace: ocirun finds ocirun-init next to the binary
	# strace executes, not next to this wrapper.
	local real=$OCIRUN
	OCIRUN=$BATS_TEST_TMPDIR/traced-ocirun
	printf '#!/bin/sh\nexec strace -f -qq -e signal=none -e trace=madvise,execveat -o %q %q "$@"\n' "$TRACE" "$real" >"$OCIRUN"
	chmod +x "$OCIRUN"
	UNTRACED=$real
}

teardown() {
	OCIRUN=$UNTRACED
	teardown_containers
}

# stage1_pid: the traced process that executed the finisher.
stage1_pid() {
	grep -m1 'execveat(.*"ocirun-exec"' "$TRACE" | cut -d' ' -f1
}

@test "prefault: the command line and stage 1 map their binaries in before Go starts" {
	# A createContainer hook runs in stage 1: the runtime would build
	# a plain container itself, without a stage 1.
	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	set_cmd true
	ocirun run ct1
	expect_status 0
	local cli pid
	cli=$(head -1 "$TRACE" | cut -d' ' -f1)
	if [ "$(uname -m)" = x86_64 ]; then
		# The first two system calls the trace shows of the command line
		# are its entry's, before the Go runtime's first madvise.
		grep "^$cli " "$TRACE" | head -2 | grep -q 'MADV_POPULATE_READ) = 0' ||
			fail "the command line did not start by populating its code: $(cat "$TRACE")"
		grep "^$cli " "$TRACE" | head -2 | grep -q 'MADV_POPULATE_WRITE) = 0' ||
			fail "the command line did not start by populating its data: $(cat "$TRACE")"
	fi
	pid=$(stage1_pid)
	[ -n "$pid" ] || fail "no stage 1 in the trace: $(cat "$TRACE")"
	grep -q "^$pid .*MADV_POPULATE_READ) = 0" "$TRACE" ||
		fail "stage 1 ($pid) did not populate its code: $(cat "$TRACE")"
	grep -q "^$pid .*MADV_POPULATE_WRITE) = 0" "$TRACE" ||
		fail "stage 1 ($pid) did not populate its data: $(cat "$TRACE")"
	# Before its Go runtime's first madvise (the collapse of its heap).
	grep "^$pid " "$TRACE" | head -1 | grep -q MADV_POPULATE ||
		fail "stage 1 ($pid) populated after its Go runtime started: $(cat "$TRACE")"
}

@test "prefault: stage 1 populates nothing while the memory limit applies to it" {
	# With a startContainer hook stage 1 lives on past the memory limit.
	update_config '.hooks.startContainer = [{"path": "/bin/true"}] | .linux.resources.memory.limit = 67108864'
	set_cmd true
	ocirun run ct1
	expect_status 0
	local pid
	pid=$(stage1_pid)
	[ -n "$pid" ] || fail "no stage 1 in the trace: $(cat "$TRACE")"
	! grep -q "^$pid .*MADV_POPULATE" "$TRACE" ||
		fail "stage 1 ($pid) populated its binary although the memory limit applies: $(cat "$TRACE")"
	! grep -q "^$pid .*MADV_COLLAPSE" "$TRACE" ||
		fail "stage 1 ($pid) took a huge page although the memory limit applies: $(cat "$TRACE")"
}
