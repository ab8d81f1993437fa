# shellcheck shell=bash
# shellcheck disable=SC2154 # $out is set by expect_status (lib.sh)
# containerd scenarios through ctr: the runc v2 shim with the runtime under
# test as its runc binary (ctr's --runc-binary). `ctrd` is ctr on the test's
# containerd, in the namespace ocirun-e2e (lib.sh).

IMG=localhost/busybox:test
LOOP='trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done'

ctrd_run() {
	ctrd run --runc-binary "$RT_WRAPPER" "$@"
}

containerd_cleanup() {
	local id
	for id in $(ctrd task ls -q 2>/dev/null); do
		ctrd task resume "$id" >/dev/null 2>&1 || true
		ctrd task kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
	done
	for id in $(ctrd task ls -q 2>/dev/null); do
		retry 20 0.1 task_stopped "$id" >/dev/null 2>&1 || true
		ctrd task delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(ctrd container ls -q 2>/dev/null); do
		ctrd container delete "$id" >/dev/null 2>&1 || true
	done
}

# task_field ID COLUMN : 2 = PID, 3 = STATUS of `ctr task ls`
task_field() { ctrd task ls | awk -v id="$1" -v c="$2" '$1 == id { print $c }'; }
task_pid() { task_field "$1" 2; }
task_status() { task_field "$1" 3; }
task_stopped() { [[ "$(task_status "$1")" == STOPPED ]]; }

containerd_run_rm() {
	expect_status 0 ctrd_run --rm "$IMG" c-echo echo hello
	expect_eq "output" hello "$out"
	expect_status 7 ctrd_run --rm "$IMG" c-exit sh -c 'exit 7'
	expect_status 0 ctrd_run --rm --env FOO=bar --cwd /home "$IMG" c-env sh -c 'echo $FOO $(pwd) $(hostname)'
	expect_match "env and cwd" '^bar /home ' "$out"
	expect_eq "containers left" "" "$(ctrd container ls -q)"
}

containerd_detached() {
	ctrd_run -d "$IMG" c1 sh -c "$LOOP"
	expect_eq "status" RUNNING "$(task_status c1)"
	pid=$(task_pid c1)
	expect_status 4 ctrd task exec --exec-id e1 c1 sh -c 'echo from-exec; exit 4'
	expect_eq "exec output" from-exec "$out"
	expect_status 0 ctrd task exec --exec-id e2 --user 1000 --cwd /home c1 sh -c 'echo $(id -u) $(pwd)'
	expect_eq "exec user and cwd" "1000 /home" "$out"
	ctrd task exec -d --exec-id e3 c1 sleep 300
	# task ps comes from the runtime's `ps --format json`; the shim adds the
	# exec ids it knows.
	retry 20 0.1 sh -c 'ctr --address "$CTD_SOCK" -n ocirun-e2e task ps c1 | grep -q "ExecID:e3"'
	expect_status 0 ctrd task ps c1
	expect_match "task ps lists the init" $'\n'"$pid " "$out"
	expect_match "task ps lists the exec'd process" $'\n[0-9]+ +.*ExecID:e3' "$out"
	ctrd task kill -s SIGTERM c1
	retry 50 0.1 task_stopped c1
	expect_status 0 ctrd task delete c1
	expect_match "exit status" 'exited.*0|^$' "$out"
	ctrd container delete c1
	# kill --all reaches every process, not just the init.
	ctrd_run -d "$IMG" c2 sleep 300
	ctrd task exec -d --exec-id e1 c2 sleep 301
	retry 20 0.1 sh -c 'ctr --address "$CTD_SOCK" -n ocirun-e2e task ps c2 | grep -q "ExecID:e1"'
	ctrd task kill -a -s SIGKILL c2
	retry 50 0.1 task_stopped c2
	ctrd task delete c2
	ctrd container delete c2
	expect_eq "containers left" "" "$(ctrd container ls -q)"
}

containerd_tty() {
	# ctr wants a terminal of its own for -t: script gives it one.
	expect_status 0 script -qec "ctr --address $CTD_SOCK -n ocirun-e2e run --runc-binary $RT_WRAPPER --rm -t $IMG c-tty sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty'" /dev/null
	out=$(printf '%s' "$out" | nocr)
	expect_match "tty device" '/dev/pts/[0-9]+' "$out"
	expect_match "stdin and stdout are the tty" both-tty "$out"
	expect_status 5 script -qec "ctr --address $CTD_SOCK -n ocirun-e2e run --runc-binary $RT_WRAPPER --rm -t $IMG c-tty2 sh -c 'exit 5'" /dev/null
	# exec -t in a running task
	ctrd_run -d "$IMG" c-tty3 sleep 300
	expect_status 0 script -qec "ctr --address $CTD_SOCK -n ocirun-e2e task exec -t --exec-id t1 c-tty3 tty" /dev/null
	expect_match "exec tty" '/dev/pts/[0-9]+' "$(printf '%s' "$out" | nocr)"
}

containerd_memory() {
	ctrd_run -d --memory-limit 33554432 "$IMG" cm sleep 300
	pid=$(task_pid cm)
	if cgroup_v2; then
		expect_eq "memory.max" 33554432 "$(cat "$(cgroup_dir "$pid" "")/memory.max")"
	else
		expect_eq "memory.limit_in_bytes" 33554432 "$(cat "$(cgroup_dir "$pid" memory)/memory.limit_in_bytes")"
	fi
	expect_match "cgroup named after the namespace and id" '/ocirun-e2e/cm$' "$(cgroup_dir "$pid" pids)"
	expect_status 137 ctrd_run --rm --memory-limit 33554432 "$IMG" cm2 awk 'BEGIN { s = sprintf("%100000000s", ""); print length(s) }'
}

containerd_pause() {
	ctrd_run -d "$IMG" cp sleep 300
	pid=$(task_pid cp)
	ctrd task pause cp
	expect_eq "status" PAUSED "$(task_status cp)"
	if cgroup_v2; then
		expect_eq "cgroup.freeze" 1 "$(cat "$(cgroup_dir "$pid" "")/cgroup.freeze")"
	else
		expect_eq "freezer.state" FROZEN "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")"
	fi
	ctrd task resume cp
	expect_eq "status" RUNNING "$(task_status cp)"
	expect_status 0 ctrd task exec --exec-id e1 cp echo alive
}

containerd_metrics() {
	ctrd_run -d --memory-limit 67108864 "$IMG" cmet sh -c 'sleep 301 & sleep 302'
	retry 20 0.1 sh -c '[ "$(ctr --address "$CTD_SOCK" -n ocirun-e2e task ps cmet | tail -n +2 | wc -l)" -ge 2 ]'
	expect_status 0 ctrd task metrics cmet
	if cgroup_v2; then
		expect_match "pids.current" 'pids\.current +[2-9]' "$out"
		expect_match "memory.usage" 'memory\.usage_in_bytes +[1-9]' "$out"
	else
		expect_match "pids.current" 'pids\.current +[2-9]' "$out"
		expect_match "memory.usage_in_bytes" 'memory\.usage_in_bytes +[1-9]' "$out"
		expect_match "memory.limit_in_bytes" 'memory\.limit_in_bytes +67108864' "$out"
	fi
	expect_status 0 ctrd task metrics --format json cmet
	jq -e . <<<"$out" >/dev/null || fail "metrics --format json is not JSON"
}

containerd_options() {
	expect_status 0 ctrd_run --rm --net-host "$IMG" c-net readlink /proc/self/ns/net
	expect_eq "--net-host" "$(ns_of self net)" "$out"
	expect_status 0 ctrd_run --rm --read-only "$IMG" c-ro sh -c 'touch /x 2>&1; echo rc=$?'
	expect_match "--read-only" 'Read-only file system' "$out"
	expect_status 0 ctrd_run --rm --cap-add CAP_SYS_ADMIN --cap-drop CAP_CHOWN "$IMG" c-cap grep CapEff /proc/self/status
	eff=$(awk '{ print $2 }' <<<"$out")
	cap_has "$eff" 21 || fail "CAP_SYS_ADMIN missing after --cap-add ($eff)"
	cap_has "$eff" 0 && fail "CAP_CHOWN present after --cap-drop ($eff)"
	expect_status 0 ctrd_run --rm --seccomp "$IMG" c-sec grep Seccomp: /proc/self/status
	expect_match "--seccomp (containerd's default profile)" 'Seccomp:\s+2' "$out"
	expect_status 0 ctrd_run --rm --privileged "$IMG" c-priv sh -c 'grep CapEff /proc/self/status; ls /dev'
	expect_match "--privileged: host devices" 'kmsg' "$(squash "$out")"
	mkdir -p "$S/ctd/vol"
	expect_status 0 ctrd_run --rm --mount "type=bind,src=$S/ctd/vol,dst=/vol,options=rbind:rw" "$IMG" c-mnt sh -c 'echo hi >/vol/f'
	expect_eq "bind mount" hi "$(cat "$S/ctd/vol/f")"
	ctrd_run -d --cpu-quota 50000 --cpu-period 100000 "$IMG" c-cpu sleep 300
	pid=$(task_pid c-cpu)
	if cgroup_v2; then
		expect_eq "cpu.max" "50000 100000" "$(cat "$(cgroup_dir "$pid" "")/cpu.max")"
	else
		expect_eq "cpu.cfs_quota_us" 50000 "$(cat "$(cgroup_dir "$pid" cpu)/cpu.cfs_quota_us")"
	fi
	# Joining an existing namespace by path.
	ctrd_run -d "$IMG" c-owner sleep 300
	owner=$(task_pid c-owner)
	expect_status 0 ctrd_run --rm --with-ns "network:/proc/$owner/ns/net" --with-ns "uts:/proc/$owner/ns/uts" "$IMG" c-join \
		sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts'
	expect_eq "--with-ns joins by path" "$(ns_of "$owner" net) $(ns_of "$owner" uts)" "$(squash "$out")"
}

if declare -F register >/dev/null; then
	register containerd/run-rm-exit-status containerd_run_rm
	register containerd/detached-exec-ps-kill-delete containerd_detached
	register containerd/tty containerd_tty
	register containerd/memory-limit containerd_memory
	register containerd/pause-resume containerd_pause
	register containerd/metrics containerd_metrics
	register containerd/options-nethost-ro-caps-seccomp-privileged-mount-withns containerd_options
fi
