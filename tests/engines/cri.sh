# shellcheck shell=bash
# shellcheck disable=SC2154 # $out is set by expect_status (lib.sh)
# The containerd CRI plugin, the kubelet's path to a runtime, driven by
# cri-client (a minimal crictl). The sandbox ("pause") image is busybox plus
# catatonit -P, built offline; the pod network is a CNI bridge in the test's
# private network namespace.

cri_cleanup() {
	local id
	for id in $(cri ps 2>/dev/null | jq -r '.containers[]?.id'); do
		cri stop --timeout 0 "$id" >/dev/null 2>&1 || true
		cri rm "$id" >/dev/null 2>&1 || true
	done
	for id in $(cri pods 2>/dev/null | jq -r '.items[]?.id'); do
		cri stopp "$id" >/dev/null 2>&1 || true
		cri rmp "$id" >/dev/null 2>&1 || true
	done
}

# pod_config NAME : writes $S/cri/NAME.pod.json, prints its path.
pod_config() {
	local f=$S/cri/$1.pod.json
	mkdir -p "$S/cri/logs/$1"
	cat >"$f" <<EOF
{
  "metadata": { "name": "$1", "namespace": "e2e", "uid": "uid-$1-$$", "attempt": 0 },
  "hostname": "$1-host",
  "logDirectory": "$S/cri/logs/$1",
  "linux": {
    "cgroupParent": "/cri-$1",
    "securityContext": { "namespaceOptions": { "network": "POD", "pid": "CONTAINER", "ipc": "POD" } }
  }
}
EOF
	echo "$f"
}

# ctr_config POD NAME CMD... : writes $S/cri/POD-NAME.json, prints its path.
ctr_config() {
	local pod=$1 name=$2 f=$S/cri/$1-$2.json
	shift 2
	# (jq would take a "-c" among --args for its own option)
	local cmd
	cmd=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	jq -n --arg name "$name" --argjson cmd "$cmd" '{
		metadata: { name: $name },
		image: { image: "localhost/busybox:test" },
		command: $cmd,
		logPath: ($name + ".log"),
		linux: { securityContext: { namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" } } }
	}' >"$f"
	echo "$f"
}

cri_state() { cri inspect "$1" | jq -r .state; }

cri_pod_two_containers() {
	cri version
	pod=$(pod_config pod1)
	pid=$(cri runp "$pod")
	expect_eq "sandbox state" SANDBOX_READY "$(cri inspectp "$pid" | jq -r .state)"
	ip=$(cri inspectp "$pid" | jq -r .network.ip)
	expect_match "sandbox IP on the CNI bridge" '^10\.89\.' "$ip"

	c1=$(cri create "$pid" "$(ctr_config pod1 c1 sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done')" "$pod")
	c2=$(cri create "$pid" "$(ctr_config pod1 c2 sleep 300)" "$pod")
	expect_eq "c1 created" CONTAINER_CREATED "$(cri_state "$c1")"
	cri start "$c1"
	cri start "$c2"
	expect_eq "c1 running" CONTAINER_RUNNING "$(cri_state "$c1")"
	expect_eq "c2 running" CONTAINER_RUNNING "$(cri_state "$c2")"

	expect_status 0 cri exec "$c1" hostname
	expect_eq "c1 hostname" pod1-host "$out"
	expect_status 0 cri exec "$c2" hostname
	expect_eq "c2 hostname" pod1-host "$out"
	local ns a b
	for ns in net ipc uts; do
		a=$(cri exec "$c1" readlink /proc/self/ns/$ns)
		b=$(cri exec "$c2" readlink /proc/self/ns/$ns)
		expect_eq "$ns namespace shared" "$a" "$b"
	done
	a=$(cri exec "$c1" readlink /proc/self/ns/pid)
	b=$(cri exec "$c2" readlink /proc/self/ns/pid)
	[[ "$a" != "$b" ]] || fail "c1 and c2 share a pid namespace ($a)"
	echo "ok: own pid namespaces"
	expect_status 0 cri exec "$c2" ip -4 -o addr show eth0
	expect_match "the pod's IP in c2" "inet $ip/" "$out"
	expect_status 3 cri exec "$c1" sh -c 'echo out; echo err >&2; exit 3'
	expect_match "exec stdout and stderr" 'out' "$out"

	cri stop --timeout 5 "$c1"
	cri stop --timeout 1 "$c2"
	expect_eq "c1 exited" CONTAINER_EXITED "$(cri_state "$c1")"
	expect_eq "c1 exit code (TERM handled)" 0 "$(cri inspect "$c1" | jq -r '.exitCode // 0')"
	expect_eq "c2 exit code (SIGKILL after the timeout)" 137 "$(cri inspect "$c2" | jq -r '.exitCode // 0')"
	cri rm "$c1"
	cri rm "$c2"
	expect_eq "containers left" 0 "$(cri ps | jq '.containers // [] | length')"
	cri stopp "$pid"
	expect_eq "sandbox state" SANDBOX_NOTREADY "$(cri inspectp "$pid" | jq -r .state)"
	cri rmp "$pid"
	expect_eq "pods left" 0 "$(cri pods | jq '.items // [] | length')"
}

# UpdateContainerResources: the shim's `update --resources - ID`.
cri_update() {
	pod=$(pod_config pod2)
	pid=$(cri runp "$pod")
	c=$(cri create "$pid" "$(ctr_config pod2 c sleep 300)" "$pod")
	cri start "$c"
	cri update --memory 67108864 "$c"
	if cgroup_v2; then
		path=$(cri exec "$c" cat /proc/self/cgroup | awk -F: '$1 == "0" { print $3 }')
		expect_eq "memory.max" 67108864 "$(cat "/sys/fs/cgroup$path/memory.max")"
	else
		path=$(cri exec "$c" cat /proc/self/cgroup | awk -F: '$2 == "memory" { print $3 }')
		expect_match "cgroup under the pod's parent" '^/cri-pod2/' "$path"
		expect_eq "memory.limit_in_bytes" 67108864 "$(cat "/sys/fs/cgroup/memory$path/memory.limit_in_bytes")"
	fi
	expect_status 0 cri stats "$c"
	expect_match "stats" 'workingSetBytes' "$out"
	cri stop --timeout 0 "$c"
	cri rm "$c"
	cri stopp "$pid"
	cri rmp "$pid"
}

# The security context a kubelet passes for a restricted pod, and a
# privileged container.
cri_security_context() {
	pod=$(pod_config pod3)
	pid=$(cri runp "$pod")
	cfg=$(ctr_config pod3 restricted sleep 300)
	jq '.linux.securityContext += {
		runAsUser: { value: 1000 }, runAsGroup: { value: 1000 },
		readonlyRootfs: true, noNewPrivs: true,
		capabilities: { dropCapabilities: ["ALL"], addCapabilities: ["NET_BIND_SERVICE"] },
		seccomp: { profileType: "RuntimeDefault" }
	}' "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
	c=$(cri create "$pid" "$cfg" "$pod")
	cri start "$c"
	expect_status 0 cri exec "$c" sh -c 'echo $(id -u):$(id -g); touch /x 2>&1; grep -E "^(CapBnd|Seccomp|NoNewPrivs):" /proc/self/status'
	expect_match "runAsUser/runAsGroup" '^1000:1000' "$out"
	expect_match "readonlyRootfs" 'Read-only file system' "$out"
	expect_match "capabilities: only NET_BIND_SERVICE" 'CapBnd:\s+0*400\b' "$out"
	expect_match "seccomp RuntimeDefault" 'Seccomp:\s+2' "$out"
	expect_match "noNewPrivs" 'NoNewPrivs:\s+1' "$out"
	cri stop --timeout 0 "$c"
	cri rm "$c"
	cri stopp "$pid"
	cri rmp "$pid"

	pod=$(pod_config pod4)
	jq '.linux.securityContext.privileged = true' "$pod" >"$pod.new" && mv "$pod.new" "$pod"
	pid=$(cri runp "$pod")
	cfg=$(ctr_config pod4 priv sleep 300)
	jq '.linux.securityContext.privileged = true' "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
	c=$(cri create "$pid" "$cfg" "$pod")
	cri start "$c"
	expect_status 0 cri exec "$c" sh -c 'grep -E "^(Seccomp|CapEff):" /proc/self/status; grep " /sys/fs/cgroup/" /proc/mounts; ls /dev'
	expect_match "privileged: no seccomp" 'Seccomp:\s+0' "$out"
	expect_match "privileged: all capabilities" 'CapEff:\s+0*1ffffffffff|CapEff:\s+0*3ffffffffff|CapEff:\s+0*1fffeffffff' "$out"
	expect_match "privileged: cgroups read-write" '/sys/fs/cgroup/[a-z]+ cgroup rw' "$out"
	expect_match "privileged: host devices" 'kmsg' "$(squash "$out")"
	cri stop --timeout 0 "$c"
	cri rm "$c"
	cri stopp "$pid"
	cri rmp "$pid"
}

if declare -F register >/dev/null; then
	register cri/pod-two-containers cri_pod_two_containers
	register cri/update-resources-stats cri_update
	register cri/security-context-privileged cri_security_context
fi
