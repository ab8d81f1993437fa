package cgroups

import (
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// v1ContainerFiles are the files of a container cgroup on a v1 host, per
// hierarchy directory.
var v1ContainerFiles = map[string]map[string]string{
	"memory": {
		"memory.limit_in_bytes":          "104857600\n",
		"memory.memsw.limit_in_bytes":    "209715200\n",
		"memory.soft_limit_in_bytes":     "9223372036854771712\n",
		"memory.kmem.limit_in_bytes":     "9223372036854771712\n",
		"memory.kmem.tcp.limit_in_bytes": "9223372036854771712\n",
		"memory.swappiness":              "60\n",
		"memory.oom_control":             "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
		"memory.use_hierarchy":           "1\n",
		"memory.usage_in_bytes":          "1048576\n",
	},
	"cpu": {
		"cpu.shares": "1024\n", "cpu.cfs_period_us": "100000\n", "cpu.cfs_quota_us": "-1\n",
		"cpu.cfs_burst_us": "0\n", "cpu.rt_period_us": "1000000\n", "cpu.rt_runtime_us": "0\n", "cpu.idle": "0\n",
	},
	"cpuset":  {"cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"},
	"pids":    {"pids.max": "max\n", "pids.current": "0\n"},
	"devices": {"devices.allow": "", "devices.deny": ""},
	"blkio": {
		"blkio.bfq.weight": "100\n", "blkio.bfq.weight_device": "",
		"blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": "",
		"blkio.throttle.read_iops_device": "", "blkio.throttle.write_iops_device": "",
	},
	"hugetlb":  {"hugetlb.2MB.limit_in_bytes": "", "hugetlb.2MB.rsvd.limit_in_bytes": ""},
	"net_cls":  {"net_cls.classid": "0\n"},
	"net_prio": {"net_prio.ifpriomap": ""},
	"rdma":     {"rdma.max": ""},
	"freezer":  {"freezer.state": "THAWED\n", "freezer.self_freezing": "0\n"},
}

// newV1Fixture builds v1 hierarchies in a temp dir (cpu and cpuacct
// co-mounted), with the container's cgroups at /ctr and their files.
func newV1Fixture(t *testing.T, controllers ...string) (*v1Manager, *recorder, string) {
	t.Helper()
	root := t.TempDir()
	if len(controllers) == 0 {
		controllers = []string{"memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "blkio", "hugetlb", "net_cls", "net_prio", "rdma", "freezer", "name=systemd"}
	}
	h := &host{mode: Legacy, v1: map[string]mount{}, own: map[string]string{}}
	tree := map[string]string{}
	for _, c := range controllers {
		dir := strings.TrimPrefix(c, "name=")
		if c == "cpu" || c == "cpuacct" {
			dir = "cpu,cpuacct"
		}
		h.v1[c] = mount{Dir: filepath.Join(root, dir), Root: "/"}
		h.own[c] = "/"
		tree[dir+"/ctr/cgroup.procs"] = ""
		for f, v := range v1ContainerFiles[c] {
			tree[dir+"/ctr/"+f] = v
		}
	}
	writeTree(t, root, tree)
	m, err := newManager(h, &configs.Cgroup{Path: "/ctr"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	v1 := m.(*v1Manager)
	rec := &recorder{root: root}
	v1.write = rec.write
	return v1, rec, root
}

func parseLimit(s string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 {
		return 1 << 62
	}
	return v
}

// v1MemoryKernel plays the v1 memory controller's rules: memory <=
// memory+swap at all times, and no limit below the usage.
func v1MemoryKernel(t *testing.T, root string) func(dir, file, value string) error {
	return func(dir, file, value string) error {
		read := func(f string) int64 { return parseLimit(readTree(t, dir, f)) }
		v := parseLimit(value)
		switch file {
		case "memory.limit_in_bytes":
			if v < read("memory.usage_in_bytes") {
				return unix.EBUSY
			}
			if v > read("memory.memsw.limit_in_bytes") {
				return unix.EINVAL
			}
		case "memory.memsw.limit_in_bytes":
			if v < read("memory.limit_in_bytes") {
				return unix.EINVAL
			}
		}
		return nil
	}
}

func TestV1SetMemory(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name  string
		mem   specs.LinuxMemory
		files map[string]string
		want  []string
		err   string
	}{
		{
			name: "raise both: memory+swap first",
			mem:  specs.LinuxMemory{Limit: i64(300 * mib), Swap: i64(400 * mib)},
			want: []string{"memory.memsw.limit_in_bytes=419430400", "memory.limit_in_bytes=314572800"},
		},
		{
			name: "lower both: memory first",
			mem:  specs.LinuxMemory{Limit: i64(50 * mib), Swap: i64(60 * mib)},
			want: []string{"memory.limit_in_bytes=52428800", "memory.memsw.limit_in_bytes=62914560"},
		},
		{
			name: "raise memory, lower memory+swap",
			mem:  specs.LinuxMemory{Limit: i64(150 * mib), Swap: i64(180 * mib)},
			want: []string{"memory.limit_in_bytes=157286400", "memory.memsw.limit_in_bytes=188743680"},
		},
		{
			name: "unlimited memory lifts memory+swap",
			mem:  specs.LinuxMemory{Limit: i64(-1)},
			want: []string{"memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"},
		},
		{
			name: "swap alone",
			mem:  specs.LinuxMemory{Swap: i64(150 * mib)},
			want: []string{"memory.memsw.limit_in_bytes=157286400"},
		},
		{
			name: "memory above memory+swap",
			mem:  specs.LinuxMemory{Limit: i64(300 * mib)},
			err:  "memory.limit_in_bytes to 314572800: invalid argument (the memory+swap limit is 209715200 and the memory limit cannot exceed it; set linux.resources.memory.swap as well)",
		},
		{
			name:  "below usage",
			mem:   specs.LinuxMemory{Limit: i64(10 * mib)},
			files: map[string]string{"memory.usage_in_bytes": "52428800\n"},
			err:   "memory.limit_in_bytes to 10485760: device or resource busy (the container uses 52428800 bytes, more than the new limit, and the kernel could not reclaim enough)",
		},
		{
			name: "memory+swap below memory",
			mem:  specs.LinuxMemory{Swap: i64(50 * mib)},
			err:  "memory.memsw.limit_in_bytes to 52428800: invalid argument (memory+swap cannot be less than the memory limit 104857600)",
		},
		{
			name: "unlimited memory with a swap limit",
			mem:  specs.LinuxMemory{Limit: i64(-1), Swap: i64(50 * mib)},
			err:  "memory.limit is unlimited",
		},
		{
			name: "the rest",
			mem: specs.LinuxMemory{Reservation: i64(64 * mib), Kernel: i64(mib), KernelTCP: i64(mib), Swappiness: u64(0),
				DisableOOMKiller: boolp(true), UseHierarchy: boolp(true)},
			want: []string{"memory.kmem.limit_in_bytes=1048576", "memory.kmem.tcp.limit_in_bytes=1048576", "memory.soft_limit_in_bytes=67108864",
				"memory.oom_control=1", "memory.swappiness=0", "memory.use_hierarchy=1"},
		},
		{
			name: "swappiness range",
			mem:  specs.LinuxMemory{Swappiness: u64(101)},
			err:  "swappiness 101 is outside [0, 100]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, root := newV1Fixture(t, "memory", "devices")
			rec.refuse = v1MemoryKernel(t, root)
			files := map[string]string{}
			for k, v := range tc.files {
				files["memory/ctr/"+k] = v
			}
			writeTree(t, root, files)
			err := m.Set(&specs.LinuxResources{Memory: &tc.mem})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, "memory/ctr/"+w)
			}
			if got := rec.log(); got != strings.Join(want, "\n") {
				t.Errorf("writes:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

func TestV1SetMemoryWithoutSwapAccounting(t *testing.T) {
	m, rec, root := newV1Fixture(t, "memory", "devices")
	writeTree(t, root, nil)
	if err := removeFile(root, "memory/ctr/memory.memsw.limit_in_bytes"); err != nil {
		t.Fatal(err)
	}
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20), Swap: i64(2 << 20)}})
	if err == nil || !strings.Contains(err.Error(), "does not account swap") {
		t.Errorf("swap limit: %v", err)
	}
	// Unlimited swap is what there is anyway.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if got := rec.log(); got != "memory/ctr/memory.limit_in_bytes=-1" {
		t.Errorf("writes: %s", got)
	}
}

func TestV1SetCPU(t *testing.T) {
	m, rec, root := newV1Fixture(t, "cpu", "cpuacct", "cpuset", "devices")
	// The parent allows two CPUs' worth of quota.
	rec.refuse = func(dir, file, value string) error {
		read := func(f string) int64 { return parseLimit(readTree(t, dir, f)) }
		v := parseLimit(value)
		switch file {
		case "cpu.cfs_period_us":
			if q := read("cpu.cfs_quota_us"); q != 1<<62 && q > 2*v {
				return unix.EINVAL
			}
		case "cpu.cfs_quota_us":
			if v != 1<<62 && v > 2*read("cpu.cfs_period_us") {
				return unix.EINVAL
			}
			if v != 1<<62 && v < read("cpu.cfs_burst_us") {
				return unix.EINVAL
			}
		case "cpu.cfs_burst_us":
			if q := read("cpu.cfs_quota_us"); q != 1<<62 && v > q {
				return unix.EINVAL
			}
		}
		return nil
	}
	writeTree(t, root, map[string]string{"cpu,cpuacct/ctr/cpu.cfs_quota_us": "200000\n", "cpu,cpuacct/ctr/cpu.cfs_burst_us": "150000\n"})
	err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{
		Shares: u64(512), Period: u64(50000), Quota: i64(100000), Burst: u64(20000),
		RealtimePeriod: u64(1000000), RealtimeRuntime: i64(950000), Idle: i64(0), Cpus: "1", Mems: "0",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"cpuset/ctr/cpuset.cpus=1", "cpuset/ctr/cpuset.mems=0",
		"cpu,cpuacct/ctr/cpu.shares=512",
		// Period 50000 under quota 200000 would be 4 CPUs, and quota
		// 100000 under burst 150000 is refused: burst, then quota, then
		// the period settle.
		"cpu,cpuacct/ctr/cpu.cfs_burst_us=20000",
		"cpu,cpuacct/ctr/cpu.cfs_quota_us=100000",
		"cpu,cpuacct/ctr/cpu.cfs_period_us=50000",
		"cpu,cpuacct/ctr/cpu.rt_period_us=1000000", "cpu,cpuacct/ctr/cpu.rt_runtime_us=950000",
		"cpu,cpuacct/ctr/cpu.idle=0",
	}, "\n")
	if got := rec.log(); got != want {
		t.Errorf("writes:\n%s\nwant:\n%s", got, want)
	}

	rec.reset()
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(500000)}})
	if err == nil || !strings.Contains(err.Error(), "cpu.cfs_quota_us to 500000: invalid argument (quota/period must fit within the parent cgroup's quota") {
		t.Errorf("over the parent: %v", err)
	}
	rec.refuse = func(dir, file, value string) error {
		if file == "cpuset.cpus" {
			return unix.EINVAL
		}
		return nil
	}
	writeTree(t, root, map[string]string{"cpuset/cpuset.effective_cpus": "0-1\n"})
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "5"}})
	if err == nil || !strings.Contains(err.Error(), `cpuset.cpus to 5: invalid argument (not a valid list, or not within the parent's cpuset.effective_cpus "0-1")`) {
		t.Errorf("cpuset: %v", err)
	}
}

func TestV1SetOthers(t *testing.T) {
	m, rec, _ := newV1Fixture(t)
	err := m.Set(&specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(136), Access: "rw"},
			{Allow: false, Type: "b", Minor: i64(0), Access: "m"},
		},
		Pids: &specs.LinuxPids{Limit: i64(64)},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                u16(300),
			WeightDevice:          []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(200)}},
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}},
		},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}},
		Network:        &specs.LinuxNetwork{ClassID: u32(0x100001), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: u32(3)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		// devices.list cannot be read: the default changes, so the rules
		// are written as listed.
		"devices/ctr/devices.deny=a",
		"devices/ctr/devices.allow=c 1:3 rwm",
		"devices/ctr/devices.allow=c 136:* rw",
		"devices/ctr/devices.deny=b *:0 m",
		"pids/ctr/pids.max=64",
		"blkio/ctr/blkio.bfq.weight=300",
		"blkio/ctr/blkio.bfq.weight_device=8:0 200",
		"blkio/ctr/blkio.throttle.read_bps_device=8:0 1000",
		"hugetlb/ctr/hugetlb.2MB.limit_in_bytes=4194304",
		"hugetlb/ctr/hugetlb.2MB.rsvd.limit_in_bytes=4194304",
		"net_cls/ctr/net_cls.classid=1048577",
		"net_prio/ctr/net_prio.ifpriomap=eth0 5",
		"rdma/ctr/rdma.max=mlx5_1 hca_handle=3",
	}, "\n")
	if got := rec.log(); got != want {
		t.Errorf("writes:\n%s\nwant:\n%s", got, want)
	}

	for _, tc := range []struct {
		r   specs.LinuxResources
		err string
	}{
		{specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(10)}}, "blkio.leaf_weight to 10: no such file or directory (leaf weights exist only with the CFQ I/O scheduler"},
		{specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "r"}}}, `cgroup v1 cannot express type "a" limited`},
		{specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, "linux.resources.unified is set, but this host uses cgroup v1 (legacy mode)"},
		{specs.LinuxResources{Memory: &specs.LinuxMemory{UseHierarchy: boolp(false)}}, ""},
	} {
		err := m.Set(&tc.r)
		if tc.err == "" {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("err = %v, want %q", err, tc.err)
		}
	}
}

func TestV1MissingControllers(t *testing.T) {
	m, _, _ := newV1Fixture(t, "memory", "cpu", "cpuacct", "devices", "pids")
	for _, tc := range []struct {
		r   specs.LinuxResources
		err string
	}{
		{specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB"}}}, "linux.resources.hugepageLimits: the cgroup v1 hugetlb controller is not mounted on this host"},
		{specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}, "linux.resources.network.classID: the cgroup v1 net_cls controller is not mounted"},
		{specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo"}}}}, "net_prio controller is not mounted"},
		{specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"x": {HcaHandles: u32(1)}}}, "linux.resources.rdma: the cgroup v1 rdma controller is not mounted"},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0"}}, "cpuset controller is not mounted"},
	} {
		if err := m.Set(&tc.r); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("err = %v, want %q", err, tc.err)
		}
	}
	// Empty sections ask for nothing.
	if err := m.Set(&specs.LinuxResources{Network: &specs.LinuxNetwork{}, BlockIO: &specs.LinuxBlockIO{}}); err != nil {
		t.Error(err)
	}
	// New checks before anything is created.
	h := testHybridHost()
	_, err := newManager(h, &configs.Cgroup{Path: "/x", Resources: &specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"x": {}}}}, "x")
	if err == nil || !strings.Contains(err.Error(), "rdma controller is not mounted") {
		t.Errorf("New: %v", err)
	}
	_, err = newManager(h, &configs.Cgroup{Path: "/x", Resources: &specs.LinuxResources{Unified: map[string]string{"a.b": "1"}}}, "x")
	if err == nil || !strings.Contains(err.Error(), "this host uses cgroup v1 (hybrid mode)") {
		t.Errorf("New unified: %v", err)
	}
}

func TestV1Apply(t *testing.T) {
	root := t.TempDir()
	h := &host{mode: Hybrid, v1: map[string]mount{}, own: map[string]string{"": "/"}, unified: mount{Dir: filepath.Join(root, "unified"), Root: "/"}}
	for _, c := range []string{"memory", "cpu", "cpuacct", "devices", "name=systemd"} {
		dir := strings.TrimPrefix(c, "name=")
		if c == "cpu" || c == "cpuacct" {
			dir = "cpu,cpuacct"
		}
		h.v1[c] = mount{Dir: filepath.Join(root, dir), Root: "/"}
		h.own[c] = "/"
	}
	h.own["memory"] = "/nested"
	writeTree(t, root, map[string]string{"memory/nested/x": "", "cpu,cpuacct/x": "", "devices/pod/x": "", "systemd/x": "", "unified/x": ""})
	mgr, err := newManager(h, &configs.Cgroup{Path: "pod/ctr"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	m := mgr.(*v1Manager)
	rec := &recorder{root: root, create: true}
	m.write = rec.write
	if err := m.Apply(77); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"cpu,cpuacct/pod/ctr/cgroup.procs=77",
		"devices/pod/ctr/cgroup.procs=77",
		"memory/nested/pod/ctr/cgroup.procs=77",
		"systemd/pod/ctr/cgroup.procs=77",
		"unified/pod/ctr/cgroup.procs=77",
	}, "\n")
	if got := rec.log(); got != want {
		t.Errorf("writes:\n%s\nwant:\n%s", got, want)
	}
	var created []string
	for _, c := range m.State().Created {
		rel, _ := filepath.Rel(root, c)
		created = append(created, rel)
	}
	wantCreated := []string{"cpu,cpuacct/pod", "cpu,cpuacct/pod/ctr", "devices/pod/ctr", "memory/nested/pod", "memory/nested/pod/ctr", "systemd/pod", "systemd/pod/ctr", "unified/pod", "unified/pod/ctr"}
	if !reflect.DeepEqual(created, wantCreated) {
		t.Errorf("created %v\nwant %v", created, wantCreated)
	}
}

func TestInheritCpuset(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"cpuset.cpus": "0-3\n", "cpuset.mems": "0\n",
		"a/cpuset.cpus": "\n", "a/cpuset.mems": "1\n",
	})
	rec := &recorder{root: root}
	if err := inheritCpuset(rec.write, filepath.Join(root, "a")); err != nil {
		t.Fatal(err)
	}
	if got := rec.log(); got != "a/cpuset.cpus=0-3" {
		t.Errorf("writes: %s", got)
	}
}

func TestV1Stats(t *testing.T) {
	m, _, root := newV1Fixture(t, "memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "blkio", "hugetlb")
	files := map[string]string{
		"memory/ctr/memory.stat":                     "cache 8192\nrss 4096\ntotal_cache 8192\n",
		"memory/ctr/memory.usage_in_bytes":           "12288\n",
		"memory/ctr/memory.max_usage_in_bytes":       "20480\n",
		"memory/ctr/memory.failcnt":                  "3\n",
		"memory/ctr/memory.limit_in_bytes":           "104857600\n",
		"memory/ctr/memory.memsw.usage_in_bytes":     "12288\n",
		"memory/ctr/memory.memsw.max_usage_in_bytes": "20480\n",
		"memory/ctr/memory.memsw.failcnt":            "0\n",
		"memory/ctr/memory.memsw.limit_in_bytes":     "9223372036854771712\n",
		"memory/ctr/memory.kmem.usage_in_bytes":      "100\n",
		"memory/ctr/memory.kmem.max_usage_in_bytes":  "200\n",
		"memory/ctr/memory.kmem.failcnt":             "0\n",
		"memory/ctr/memory.kmem.limit_in_bytes":      "9223372036854771712\n",
		// No kmem.tcp: that part stays empty.
		"cpu,cpuacct/ctr/cpu.stat":                            "nr_periods 10\nnr_throttled 1\nthrottled_time 5000\n",
		"cpu,cpuacct/ctr/cpuacct.usage":                       "3000\n",
		"cpu,cpuacct/ctr/cpuacct.usage_percpu":                "1000 2000 \n",
		"cpu,cpuacct/ctr/cpuacct.usage_all":                   "cpu user system\n0 600 400\n1 1500 500\n",
		"cpu,cpuacct/ctr/cpuacct.stat":                        "user 2\nsystem 1\n",
		"cpuset/ctr/cpuset.cpus":                              "0-1\n",
		"cpuset/ctr/cpuset.mems":                              "0\n",
		"cpuset/ctr/cpuset.sched_load_balance":                "1\n",
		"cpuset/ctr/cpuset.sched_relax_domain_level":          "-1\n",
		"pids/ctr/pids.current":                               "2\n",
		"pids/ctr/pids.max":                                   "max\n",
		"blkio/ctr/blkio.bfq.io_service_bytes_recursive":      "",
		"blkio/ctr/blkio.bfq.io_serviced_recursive":           "Total 0\n",
		"blkio/ctr/blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n",
		"blkio/ctr/blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Write 0\nTotal 1\n",
		"hugetlb/ctr/hugetlb.2MB.usage_in_bytes":              "2097152\n",
		"hugetlb/ctr/hugetlb.2MB.max_usage_in_bytes":          "4194304\n",
		"hugetlb/ctr/hugetlb.2MB.failcnt":                     "1\n",
		"hugetlb/ctr/hugetlb.2MB.rsvd.usage_in_bytes":         "0\n",
	}
	writeTree(t, root, files)
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{
		CPU: CPUStats{
			Usage: CPUUsage{Total: 3000, Percpu: []uint64{1000, 2000}, PercpuUser: []uint64{600, 1500}, PercpuKernel: []uint64{400, 500},
				User: 20000000, Kernel: 10000000},
			Throttling: Throttling{Periods: 10, ThrottledPeriods: 1, ThrottledTime: 5000},
		},
		CPUSet: CPUSetStats{CPUs: []uint16{0, 1}, Mems: []uint16{0}, SchedLoadBalance: 1, SchedRelaxDomainLevel: -1},
		Memory: MemoryStats{
			Cache:  8192,
			Usage:  MemoryEntry{Usage: 12288, Max: 20480, Failcnt: 3, Limit: 104857600},
			Swap:   MemoryEntry{Usage: 12288, Max: 20480, Limit: 9223372036854771712},
			Kernel: MemoryEntry{Usage: 100, Max: 200, Limit: 9223372036854771712},
			Raw:    map[string]uint64{"cache": 8192, "rss": 4096, "total_cache": 8192},
		},
		Pids: PidsStats{Current: 2},
		Blkio: BlkioStats{
			IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write"}},
			IoServicedRecursive:     []BlkioEntry{{Major: 8, Op: "Read", Value: 1}, {Major: 8, Op: "Write"}},
		},
		Hugetlb: map[string]HugetlbStat{"2MB": {Usage: 2097152, Max: 4194304, Failcnt: 1}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats\n%+v\nwant\n%+v", st, want)
	}
}

func TestV1OOMKillCount(t *testing.T) {
	m, _, root := newV1Fixture(t, "memory", "devices")
	writeTree(t, root, map[string]string{"memory/ctr/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n"})
	if n, err := m.OOMKillCount(); err != nil || n != 4 {
		t.Errorf("OOMKillCount = %d, %v", n, err)
	}
	writeTree(t, root, map[string]string{"memory/ctr/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\n"})
	if _, err := m.OOMKillCount(); err == nil || !strings.Contains(err.Error(), `no "oom_kill" entry`) {
		t.Errorf("old kernel: %v", err)
	}
}

func TestV1Freezer(t *testing.T) {
	defer func(d time.Duration) { freezeTimeout = d }(freezeTimeout)
	freezeTimeout = 30 * time.Millisecond
	m, rec, root := newV1Fixture(t, "freezer", "devices")
	ctr := filepath.Join(root, "freezer/ctr")
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	writeTree(t, ctr, map[string]string{"freezer.self_freezing": "1\n"})
	if s, err := m.FreezerState(); err != nil || s != Frozen {
		t.Errorf("state %q, %v", s, err)
	}
	// Frozen through an ancestor only: not paused.
	writeTree(t, ctr, map[string]string{"freezer.self_freezing": "0\n"})
	if s, _ := m.FreezerState(); s != Thawed {
		t.Errorf("ancestor-frozen state %q", s)
	}
	if err := m.Thaw(); err != nil || readTree(t, ctr, "freezer.state") != "THAWED" {
		t.Fatalf("thaw: %v", err)
	}
	if s, _ := m.FreezerState(); s != Thawed {
		t.Errorf("state %q", s)
	}
	// A freeze that never completes is undone.
	rec.create = false
	rec.refuse = func(dir, file, value string) error {
		if value == "FROZEN" {
			writeTree(t, dir, map[string]string{"freezer.state": "FREEZING\n"})
			return errSkip
		}
		return nil
	}
	err := m.Freeze()
	if err == nil || !strings.Contains(err.Error(), "still FREEZING after") || readTree(t, ctr, "freezer.state") != "THAWED" {
		t.Errorf("stuck freeze: %v, state %q", err, readTree(t, ctr, "freezer.state"))
	}
	writeTree(t, ctr, map[string]string{"freezer.state": "BOGUS\n"})
	if _, err := m.FreezerState(); err == nil {
		t.Error("unknown state accepted")
	}

	m2, _, _ := newV1Fixture(t, "memory", "devices")
	if s, err := m2.FreezerState(); err != nil || s != Undefined {
		t.Errorf("no freezer: %q %v", s, err)
	}
	if err := m2.Freeze(); err == nil || !strings.Contains(err.Error(), "cannot pause: the container has no cgroup v1 freezer") {
		t.Errorf("freeze without freezer: %v", err)
	}
}

func TestV1GetPids(t *testing.T) {
	m, _, root := newV1Fixture(t, "memory", "devices")
	writeTree(t, root, map[string]string{"devices/ctr/cgroup.procs": "10\n11\n", "devices/ctr/sub/cgroup.procs": "12\n"})
	if pids, err := m.GetPids(); err != nil || !reflect.DeepEqual(pids, []int{10, 11, 12}) {
		t.Errorf("GetPids = %v, %v", pids, err)
	}
}

func removeFile(root, name string) error {
	return unix.Unlink(filepath.Join(root, name))
}

// errSkip makes the recorder's write a silent no-op (the refuse hook has
// already changed the file as the kernel would).
var errSkip = errors.New("skip")

func TestV1DevicesTransition(t *testing.T) {
	allow := func(typ string, maj, min int64, acc string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &maj, Minor: &min, Access: acc}
	}
	denyAll := specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}
	for _, tc := range []struct {
		name string
		list string // devices.list now
		devs []specs.LinuxDeviceCgroup
		want []string
	}{
		{"same rules: nothing to write", "c 1:3 rwm\nc 1:5 rwm\n",
			[]specs.LinuxDeviceCgroup{denyAll, allow("c", 1, 3, "rwm"), allow("c", 1, 5, "rwm")}, nil},
		{"one more device, one less access", "c 1:3 rwm\nc 1:5 rwm\n",
			[]specs.LinuxDeviceCgroup{denyAll, allow("c", 1, 3, "rwm"), allow("c", 1, 5, "r"), allow("c", 1, 7, "rw")},
			[]string{"devices.deny=c 1:5 wm", "devices.allow=c 1:7 rw"}},
		{"allowing everything now: reset to the new default", "a *:* rwm\n",
			[]specs.LinuxDeviceCgroup{denyAll, allow("c", 1, 3, "rwm")},
			[]string{"devices.deny=a", "devices.allow=c 1:3 rwm"}},
		{"a later deny takes an access away", "",
			[]specs.LinuxDeviceCgroup{denyAll, allow("c", -1, -1, "m"), allow("c", 1, 3, "rw"), {Allow: false, Type: "c", Major: i64(1), Minor: i64(3), Access: "w"}},
			[]string{"devices.allow=c *:* m", "devices.allow=c 1:3 r"}},
		{"allow everything from denying", "c 1:3 rwm\n",
			[]specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
			[]string{"devices.allow=a"}},
	} {
		rules, err := deviceRules(tc.devs)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range v1DevicesTransition(parseV1DevicesList(tc.list), emulateV1Devices(rules)) {
			f := "devices.deny="
			if r.allow {
				f = "devices.allow="
			}
			got = append(got, f+r.v1String())
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: writes %q, want %q", tc.name, got, tc.want)
		}
	}
}
