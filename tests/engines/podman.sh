# shellcheck shell=bash
# shellcheck disable=SC2154 # $out is set by expect_status (lib.sh)
# podman (+ conmon) scenarios. `pm` is podman with the test's storage,
# containers.conf and the runtime under test (lib.sh).

IMG=localhost/busybox:test

podman_cleanup() {
	pm pod rm -af -t 0 >/dev/null 2>&1 || true
	pm rm -af -t 0 >/dev/null 2>&1 || true
}

pm_pid() { pm inspect --format '{{.State.Pid}}' "$1"; }
pm_status() { pm inspect --format '{{.State.Status}}' "$1"; }

# A container that runs until it is stopped, and answers SIGTERM at once.
LOOP='trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done'

podman_run_rm() {
	expect_status 0 pm run --rm "$IMG" echo hello
	expect_eq "output" hello "$out"
	expect_status 42 pm run --rm "$IMG" sh -c 'exit 42'
	expect_eq "containers left" "" "$(pm ps -aq)"
}

# podman maps the runtime's error texts to 126 (cannot execute) and 127
# (not found): the texts must be the ones it looks for.
podman_exec_errors() {
	expect_status 127 pm run --rm "$IMG" /does/not/exist
	expect_status 126 pm run --rm "$IMG" /etc/passwd
	pm run -d --name errs "$IMG" sleep 300
	expect_status 127 pm exec errs /does/not/exist
	expect_status 126 pm exec errs /etc/passwd
}

podman_env_user() {
	expect_status 0 pm run --rm -e FOO=bar -e EMPTY= "$IMG" sh -c 'echo "$FOO|${EMPTY-unset}"'
	expect_eq "env" "bar|" "$out"
	expect_status 0 pm run --rm -w /home "$IMG" pwd
	expect_eq "workdir" /home "$out"
	expect_status 0 pm run --rm --user 1000:1000 "$IMG" sh -c 'echo $(id -u):$(id -g):$(id -un)'
	expect_eq "user" "1000:1000:tester" "$out"
	expect_status 0 pm run --rm --user 1000:1000 --group-add 5 "$IMG" id -G
	expect_eq "groups" "1000 5" "$out"
	expect_status 0 pm run --rm --hostname myhost "$IMG" hostname
	expect_eq "hostname" myhost "$out"
	expect_status 0 pm run --rm --read-only "$IMG" sh -c 'touch /etc/x 2>&1; touch /tmp/ok && echo tmp-writable'
	expect_match "read-only rootfs" 'Read-only file system' "$out"
	expect_match "read-only keeps /tmp writable" 'tmp-writable' "$out"
	# tmpcopyup: a --tmpfs on a directory of the image keeps its content.
	expect_status 0 pm run --rm --tmpfs /etc "$IMG" sh -c 'grep -c tester /etc/passwd; grep " /etc " /proc/mounts'
	expect_match "tmpfs copy-up" '^1' "$out"
	expect_match "/etc is a tmpfs" 'tmpfs /etc tmpfs' "$out"
}

podman_tty() {
	expect_status 0 pm run --rm -t "$IMG" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; stty size'
	out=$(printf '%s' "$out" | nocr)
	expect_match "tty device" '^/dev/pts/[0-9]+' "$out"
	expect_match "stdin and stdout are the tty" 'both-tty' "$out"
	expect_status 3 pm run --rm -t "$IMG" sh -c 'exit 3'
	# Without -t, stdout is no terminal.
	expect_status 0 pm run --rm "$IMG" sh -c '[ -t 1 ] && echo tty || echo notty'
	expect_eq "no tty" notty "$out"
	# exec -t in a detached container.
	pm run -d --name ttyc "$IMG" sleep 300
	expect_status 0 pm exec -t ttyc sh -c 'tty'
	expect_match "exec tty" '^/dev/pts/[0-9]+' "$(printf '%s' "$out" | nocr)"
}

podman_detached() {
	pm run -d --name web "$IMG" sh -c "$LOOP"
	expect_eq "status" running "$(pm_status web)"
	expect_status 0 pm exec web cat /etc/hostname
	expect_status 5 pm exec web sh -c 'echo from-exec; exit 5'
	expect_eq "exec output" from-exec "$out"
	expect_status 0 pm exec --user 1000 -e X=y -w /home web sh -c 'echo $(id -u) $X $(pwd)'
	expect_eq "exec user/env/workdir" "1000 y /home" "$out"
	# exec'd processes are in the container's namespaces
	pid=$(pm_pid web)
	expect_status 0 pm exec web sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt'
	expect_eq "exec pid+mnt ns" "$(ns_of "$pid" pid; ns_of "$pid" mnt)" "$out"
	retry 50 0.1 sh -c 'podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" logs web | grep -q started'
	pm stop -t 10 web
	expect_eq "status after stop" exited "$(pm_status web)"
	expect_eq "exit code after stop" 0 "$(pm inspect --format '{{.State.ExitCode}}' web)"
	expect_match "logs" 'started.*got-term' "$(pm logs web | tr '\n' ' ')"
	pm rm web
	expect_eq "containers left" "" "$(pm ps -aq)"
}

podman_kill() {
	pm run -d --name k1 "$IMG" sh -c 'trap "echo got-usr1; exit 3" USR1; echo ready; while :; do sleep 0.1; done'
	retry 50 0.1 sh -c 'podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" logs k1 | grep -q ready'
	pm kill --signal USR1 k1
	expect_eq "exit code after USR1" 3 "$(pm wait k1)"
	expect_match "logs" got-usr1 "$(pm logs k1)"
	pm run -d --name k2 "$IMG" sleep 300
	pm kill k2
	expect_eq "exit code after kill (SIGKILL)" 137 "$(pm wait k2)"
	pm run -d --name k3 "$IMG" sh -c "$LOOP"
	retry 50 0.1 sh -c 'podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" logs k3 | grep -q started'
	pm kill --signal TERM k3
	expect_eq "exit code after TERM" 0 "$(pm wait k3)"
}

podman_limits() {
	pm run -d --name lim --memory 32m --pids-limit 20 "$IMG" sleep 300
	pid=$(pm_pid lim)
	if cgroup_v2; then
		expect_eq "memory.max" 33554432 "$(cat "$(cgroup_dir "$pid" "")/memory.max")"
		expect_eq "pids.max" 20 "$(cat "$(cgroup_dir "$pid" "")/pids.max")"
	else
		expect_eq "memory.limit_in_bytes" 33554432 "$(cat "$(cgroup_dir "$pid" memory)/memory.limit_in_bytes")"
		expect_eq "pids.max" 20 "$(cat "$(cgroup_dir "$pid" pids)/pids.max")"
	fi
	# Enforced: 100 MB in one string is more than 32 MB ...
	expect_status 137 pm run --rm --memory 32m "$IMG" awk 'BEGIN { s = sprintf("%100000000s", ""); print length(s) }'
	# ... and fits without the limit.
	expect_status 0 pm run --rm "$IMG" awk 'BEGIN { s = sprintf("%100000000s", ""); print length(s) }'
	expect_eq "without limit" 100000000 "$out"
	# 30 background sleeps do not fit in 10 pids.
	expect_status 0 pm run --rm --pids-limit 10 "$IMG" sh -c \
		'n=0; while [ $n -lt 30 ]; do (sleep 5 &) 2>/dev/null || break; n=$((n + 1)); done; echo started=$n'
	expect_match "fork refused below the limit" '^started=[0-9]$' "$out"
}

# Limits small enough to break a container init that ran under them: they
# apply once the init is set up, before the user's process (as with runc).
# A limit too small for the container at all fails with one line naming it
# (64 KiB: the finisher that holds a created container is charged about half
# a MiB, so a busybox echo fits in 1 MiB).
podman_small_limits() {
	expect_status 0 pm run --rm --pids-limit 5 "$IMG" echo pids-ok
	expect_eq "--pids-limit 5" pids-ok "$out"
	expect_status 0 pm run --rm --memory 4m "$IMG" echo mem-ok
	expect_eq "--memory 4m" mem-ok "$out"
	if out=$(pm run --rm --memory 64k "$IMG" echo never 2>&1); then
		fail "--memory 64k ran: $out"
	fi
	printf '%s\n' "$out"
	expect_match "--memory 64k names the limit" 'memory' "$out"
	expect_nomatch "--memory 64k: no Go crash dump" 'goroutine |rax +0x|SIGABRT|fatal error' "$out"
}

podman_update() {
	pm run -d --name upd --memory 64m "$IMG" sleep 300
	pid=$(pm_pid upd)
	pm update --memory 128m --cpu-quota 25000 --cpu-period 100000 upd
	if cgroup_v2; then
		expect_eq "memory.max" 134217728 "$(cat "$(cgroup_dir "$pid" "")/memory.max")"
		expect_eq "cpu.max" "25000 100000" "$(cat "$(cgroup_dir "$pid" "")/cpu.max")"
	else
		expect_eq "memory.limit_in_bytes" 134217728 "$(cat "$(cgroup_dir "$pid" memory)/memory.limit_in_bytes")"
		expect_eq "cpu.cfs_quota_us" 25000 "$(cat "$(cgroup_dir "$pid" cpu)/cpu.cfs_quota_us")"
	fi
}

podman_userns() {
	expect_status 0 pm run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" \
		sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /bin/busybox'
	expect_match "uid_map" '^ +0 +100000 +65536' "$out"
	expect_match "gid_map" $'\n +0 +100000 +65536' "$out"
	expect_match "root inside" $'\n0\n' "$out"
	expect_match "image files owned by root inside" ' 0 +0 ' "$out"
	pm run -d --name uns --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" sleep 300
	pid=$(pm_pid uns)
	expect_match "uid on the host" $'^Uid:\t100000\t' "$(grep '^Uid:' "/proc/$pid/status")"
	[[ "$(ns_of "$pid" user)" != "$(ns_of self user)" ]] || fail "container shares the host's user namespace"
	echo "ok: own user namespace"
}

podman_caps() {
	expect_status 0 pm run --rm "$IMG" grep CapEff /proc/self/status
	eff=$(awk '{ print $2 }' <<<"$out")
	cap_has "$eff" 0 || fail "CAP_CHOWN missing by default ($eff)"
	cap_has "$eff" 21 && fail "CAP_SYS_ADMIN present by default ($eff)"
	expect_status 0 pm run --rm --cap-drop CHOWN --cap-add SYS_ADMIN "$IMG" sh -c \
		'grep CapEff /proc/self/status; touch /tmp/f; chown 1000 /tmp/f 2>&1; echo chown=$?'
	eff=$(awk '/CapEff/ { print $2 }' <<<"$out")
	cap_has "$eff" 0 && fail "CAP_CHOWN still there after --cap-drop CHOWN ($eff)"
	cap_has "$eff" 21 || fail "CAP_SYS_ADMIN missing after --cap-add SYS_ADMIN ($eff)"
	expect_match "chown refused" 'chown=1' "$out"
	expect_status 0 pm run --rm --cap-drop all "$IMG" sh -c 'grep -E "Cap(Eff|Prm|Bnd)" /proc/self/status'
	expect_match "no capabilities" 'CapPrm:\s+0+\s+CapEff:\s+0+\s+CapBnd:\s+0+' "$(tr '\n' ' ' <<<"$out")"
	# --user: the capabilities are not in the effective set of a non-root user.
	expect_status 0 pm run --rm --user 1000 "$IMG" grep CapEff /proc/self/status
	expect_match "non-root effective caps" 'CapEff:\s+0+$' "$out"
}

podman_seccomp() {
	expect_status 0 pm run --rm "$IMG" grep Seccomp: /proc/self/status
	expect_match "filter mode" 'Seccomp:\s+2' "$out"
	# personality(2) is allowed for a few argument values only: PER_LINUX32
	# (8) passes the argument filter, ADDR_NO_RANDOMIZE (0x40000) falls to
	# the default action, ENOSYS (defaultErrnoRet 38).
	expect_status 0 pm run --rm "$IMG" linux32 true
	expect_status 1 pm run --rm "$IMG" linux64 -R true
	expect_match "default action" 'personality.*Function not implemented' "$out"
	expect_status 0 pm run --rm --security-opt seccomp=unconfined "$IMG" linux64 -R true
	expect_status 0 pm run --rm --security-opt seccomp=unconfined "$IMG" grep Seccomp: /proc/self/status
	expect_match "unconfined" 'Seccomp:\s+0' "$out"
	# A profile of our own with an argument-free rule.
	cat >"$S/podman/nomkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
	expect_status 0 pm run --rm --security-opt seccomp="$S/podman/nomkdir.json" "$IMG" sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'
	expect_match "custom profile enforced" 'Permission denied' "$out"
}

podman_nnp() {
	expect_status 0 pm run --rm "$IMG" grep NoNewPrivs /proc/self/status
	expect_match "default" 'NoNewPrivs:\s+0' "$out"
	expect_status 0 pm run --rm --security-opt no-new-privileges "$IMG" grep NoNewPrivs /proc/self/status
	expect_match "no-new-privileges" 'NoNewPrivs:\s+1' "$out"
	pm run -d --name nnp --security-opt no-new-privileges "$IMG" sleep 300
	expect_status 0 pm exec nnp grep NoNewPrivs /proc/self/status
	expect_match "exec inherits it" 'NoNewPrivs:\s+1' "$out"
}

podman_pod() {
	pm pod create --name pod1
	pm run -d --pod pod1 --name pa "$IMG" sleep 300
	pm run -d --pod pod1 --name pb "$IMG" sleep 300
	infra=$(pm pod inspect --format '{{.InfraContainerID}}' pod1)
	ipid=$(pm_pid "$infra")
	apid=$(pm_pid pa)
	bpid=$(pm_pid pb)
	expect_match "infra runs catatonit" catatonit "$(tr '\0' ' ' <"/proc/$ipid/cmdline")"
	for ns in net ipc uts; do
		expect_eq "$ns of pa = infra" "$(ns_of "$ipid" $ns)" "$(ns_of "$apid" $ns)"
		expect_eq "$ns of pb = infra" "$(ns_of "$ipid" $ns)" "$(ns_of "$bpid" $ns)"
	done
	[[ "$(ns_of "$apid" pid)" != "$(ns_of "$bpid" pid)" ]] || fail "pa and pb share a pid namespace"
	[[ "$(ns_of "$apid" mnt)" != "$(ns_of "$bpid" mnt)" ]] || fail "pa and pb share a mount namespace"
	echo "ok: own pid and mount namespaces"
	expect_eq "hostname" "$(pm exec pa hostname)" "$(pm exec pb hostname)"
	# The pod's /dev/shm is shared too.
	pm exec pa sh -c 'echo from-pa >/dev/shm/note'
	expect_eq "shm seen by pb" from-pa "$(pm exec pb cat /dev/shm/note)"
	pm pod stop -t 2 pod1
	expect_eq "pa after pod stop" exited "$(pm_status pa)"
	pm pod rm pod1
	expect_eq "containers left" "" "$(pm ps -aq)"
}

podman_network() {
	expect_status 0 pm run --rm --network none "$IMG" sh -c 'ls /sys/class/net'
	expect_eq "network none: only lo" lo "$out"
	expect_status 0 pm run --rm --network host "$IMG" readlink /proc/self/ns/net
	expect_eq "network host: our netns" "$(ns_of self net)" "$out"
	# The default network: a netns podman made and passed by path.
	expect_status 0 pm run --rm "$IMG" sh -c 'ls /sys/class/net | tr "\n" " "; ip -4 -o addr show eth0'
	expect_match "bridge network" 'eth0 .*inet 10\.88\.' "$out"
	pm run -d --name net1 "$IMG" sleep 300
	pid=$(pm_pid net1)
	[[ "$(ns_of "$pid" net)" != "$(ns_of self net)" ]] || fail "bridge container shares our netns"
	echo "ok: own netns"
	expect_match "podman passed the netns by path" '"path": "/run/netns/' \
		"$(jq '.linux.namespaces[] | select(.type == "network")' "$PM_ROOT/overlay-containers/$(pm inspect --format '{{.ID}}' net1)/userdata/config.json")"
}

podman_pause() {
	pm run -d --name pz "$IMG" sh -c "$LOOP"
	pid=$(pm_pid pz)
	pm pause pz
	expect_eq "status" paused "$(pm_status pz)"
	if cgroup_v2; then
		expect_eq "cgroup.freeze" 1 "$(cat "$(cgroup_dir "$pid" "")/cgroup.freeze")"
	else
		expect_eq "freezer.state" FROZEN "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")"
	fi
	expect_match "process state" '^State:\s+[SD]' "$(grep '^State:' "/proc/$pid/status")"
	pm unpause pz
	expect_eq "status" running "$(pm_status pz)"
	expect_status 0 pm exec pz echo alive
	pm stop -t 5 pz
}

podman_top() {
	pm run -d --name tp "$IMG" sh -c 'sleep 301 & sleep 302'
	retry 30 0.1 sh -c 'podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" top tp | grep -q "sleep 302"'
	expect_status 0 pm top tp
	expect_match "top shows the init" 'sleep 302' "$out"
	expect_match "top shows the child" 'sleep 301' "$out"
	expect_status 0 pm ps --filter name=tp --format '{{.Names}} {{.Status}}'
	expect_match "ps" '^tp Up' "$out"
	# --sync re-checks every container before listing it.
	expect_status 0 pm ps --sync --filter name=tp --format '{{.Names}} {{.Status}}'
	expect_match "ps --sync" '^tp Up' "$out"
	expect_status 0 pm top tp pid args
	expect_match "top descriptors" 'PID +COMMAND' "$out"
}

podman_restart() {
	pm run -d --name rs "$IMG" sh -c 'echo start >>/starts; '"$LOOP"
	pid1=$(pm_pid rs)
	pm restart -t 5 rs
	expect_eq "status" running "$(pm_status rs)"
	pid2=$(pm_pid rs)
	[[ "$pid1" != "$pid2" ]] || fail "same pid $pid1 after restart"
	echo "ok: new pid $pid2"
	expect_status 0 pm exec rs wc -l /starts
	expect_match "started twice, same rootfs" '^2 ' "$out"
	# A stopped container starts again.
	pm stop -t 5 rs
	pm start rs
	expect_eq "status after start" running "$(pm_status rs)"
}

podman_process_opts() {
	expect_status 0 sh -c 'echo piped | podman --root "$PM_ROOT" --runroot "$PM_RUNROOT" run -i --rm localhost/busybox:test cat'
	expect_eq "stdin" piped "$out"
	echo from-fd3 >"$S/podman/fd3"
	expect_status 0 pm run --rm --preserve-fds 1 "$IMG" sh -c 'cat <&3' 3<"$S/podman/fd3"
	expect_eq "--preserve-fds 1" from-fd3 "$out"
	# Any --ulimit replaces default_ulimits, and podman's own default for
	# nproc is above this host's hard limit: name nproc too.
	expect_status 0 pm run --rm --ulimit nofile=100:200 --ulimit nproc=500:1000 "$IMG" \
		sh -c 'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -u) $(ulimit -Hu)'
	expect_eq "rlimits nofile and nproc" "100 200 500 1000" "$out"
	expect_status 0 pm run --rm --umask 0077 "$IMG" sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	expect_eq "umask" "0077 600" "$(squash "$out")"
	expect_status 0 pm run --rm --oom-score-adj 200 "$IMG" cat /proc/self/oom_score_adj
	expect_eq "oom_score_adj" 200 "$out"
	expect_status 0 pm run --rm --init "$IMG" sh -c 'tr "\0" " " </proc/1/cmdline'
	expect_match "--init: pid 1 is the init" 'init' "$out"
}

# The network namespace is one podman made and passes by path: net.*
# sysctls are allowed there. kernel.msg* belong to the ipc namespace.
podman_sysctl() {
	expect_status 0 pm run --rm --sysctl kernel.msgmax=4096 "$IMG" cat /proc/sys/kernel/msgmax
	expect_eq "ipc sysctl" 4096 "$out"
	expect_status 0 pm run --rm --sysctl net.ipv4.ip_unprivileged_port_start=80 "$IMG" \
		cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	expect_eq "net sysctl in a netns joined by path" 80 "$out"
	expect_status 0 pm run --rm --network none --sysctl net.ipv4.ip_unprivileged_port_start=81 "$IMG" \
		cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	expect_eq "net sysctl in a new netns" 81 "$out"
	# Not in the host's network namespace (podman or the runtime refuses).
	before=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	if pm run --rm --network host --sysctl net.ipv4.ip_unprivileged_port_start=82 "$IMG" true; then
		fail "a net.* sysctl with --network host was accepted"
	fi
	expect_eq "host's value untouched" "$before" "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
}

podman_mounts_devices() {
	mkdir -p "$S/podman/vol"
	echo host-file >"$S/podman/vol/in"
	expect_status 0 pm run --rm -v "$S/podman/vol:/data" "$IMG" sh -c 'cat /data/in; echo from-ctr >/data/out'
	expect_eq "bind mount read" host-file "$out"
	expect_eq "bind mount write" from-ctr "$(cat "$S/podman/vol/out")"
	expect_status 0 pm run --rm -v "$S/podman/vol:/data:ro" "$IMG" sh -c 'echo x >/data/out2 2>&1; echo rc=$?'
	expect_match "ro bind mount" 'Read-only file system' "$out"
	expect_status 0 pm run --rm --mount type=tmpfs,destination=/scratch,tmpfs-size=1m "$IMG" grep ' /scratch ' /proc/mounts
	expect_match "tmpfs mount with size" 'tmpfs /scratch tmpfs .*size=1024k' "$out"
	expect_status 0 pm run --rm --device /dev/zero:/dev/myzero "$IMG" sh -c 'head -c 3 /dev/myzero | od -An -tx1'
	expect_eq "device" "00 00 00" "$(squash "$out")"
	expect_status 0 pm run --rm "$IMG" sh -c 'head -c 1 /dev/zero >/dev/null && ls /dev'
	expect_nomatch "no host devices by default" 'vda|kmsg' "$(squash "$out")"
	expect_status 0 pm run --rm --privileged "$IMG" sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev'
	expect_match "privileged: all capabilities" 'CapEff:\s+0*1ffffffffff|CapEff:\s+0*3ffffffffff|CapEff:\s+0*1fffeffffff' "$out"
	expect_match "privileged: no seccomp" 'Seccomp:\s+0' "$out"
	expect_match "privileged: host devices" 'kmsg' "$(squash "$out")"
}

podman_host_namespaces() {
	expect_status 0 pm run --rm --pid host --ipc host --uts host "$IMG" sh -c \
		'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; hostname'
	expect_eq "pid, ipc, uts of the host" "$(ns_of self pid) $(ns_of self ipc) $(hostname)" "$(squash "$out")"
	expect_status 0 pm run --rm --cgroupns private "$IMG" cat /proc/self/cgroup
	expect_match "private cgroupns: the container's cgroup is its root" $':pids:/\n' "$out"
	expect_status 0 pm run --rm --cgroupns host "$IMG" cat /proc/self/cgroup
	expect_match "host cgroupns: the full path" ':pids:/libpod_parent/' "$out"
}

if declare -F register >/dev/null; then
	register podman/run-rm-exit-status podman_run_rm
	register podman/exit-126-127 podman_exec_errors
	register podman/env-workdir-user-hostname-readonly podman_env_user
	register podman/tty podman_tty
	register podman/detached-exec-logs-stop-rm podman_detached
	register podman/kill-signal podman_kill
	register podman/memory-pids-limits podman_limits
	register podman/small-limits podman_small_limits
	register podman/update podman_update
	register podman/userns-uidmap podman_userns
	register podman/cap-add-drop podman_caps
	register podman/seccomp-default podman_seccomp
	register podman/no-new-privileges podman_nnp
	register podman/pod-shared-namespaces podman_pod
	register podman/network-none-host-bridge podman_network
	register podman/pause-unpause podman_pause
	register podman/top-ps podman_top
	register podman/restart podman_restart
	register podman/stdin-fds-ulimit-umask-oom-init podman_process_opts
	register podman/sysctl podman_sysctl
	register podman/volumes-tmpfs-devices-privileged podman_mounts_devices
	register podman/host-namespaces-cgroupns podman_host_namespaces
fi
