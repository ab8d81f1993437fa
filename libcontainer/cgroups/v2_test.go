package cgroups

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

const allV2Controllers = "cpuset cpu io memory hugetlb pids rdma misc\n"

// v2ContainerFiles is what the kernel shows in a fresh container cgroup
// with every controller enabled.
var v2ContainerFiles = map[string]string{
	"cgroup.procs":           "",
	"cgroup.type":            "domain\n",
	"cgroup.freeze":          "0\n",
	"cgroup.events":          "populated 1\nfrozen 0\n",
	"cgroup.subtree_control": "",
	"cpu.weight":             "100\n",
	"cpu.max":                "max 100000\n",
	"cpu.max.burst":          "0\n",
	"cpu.idle":               "0\n",
	"cpu.stat":               "usage_usec 0\n",
	"cpuset.cpus":            "",
	"cpuset.mems":            "",
	"memory.max":             "max\n",
	"memory.low":             "0\n",
	"memory.high":            "max\n",
	"memory.swap.max":        "max\n",
	"memory.current":         "0\n",
	"memory.stat":            "anon 0\n",
	"memory.events":          "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
	"io.weight":              "default 100\n",
	"io.max":                 "",
	"io.stat":                "",
	"pids.max":               "max\n",
	"pids.current":           "0\n",
	"hugetlb.2MB.max":        "max\n",
	"hugetlb.2MB.rsvd.max":   "max\n",
	"hugetlb.1GB.max":        "max\n",
	"rdma.max":               "",
}

// newV2Fixture builds a cgroup2 tree in a temp dir: the mount point and a
// "machine" parent, both delegating every controller, and a manager for
// cgroupsPath /machine/ctr. withFiles also creates the container's cgroup
// with its files, as if Apply had run.
func newV2Fixture(t *testing.T, withFiles bool) (*v2Manager, *recorder, string) {
	t.Helper()
	mnt := t.TempDir()
	writeTree(t, mnt, map[string]string{
		"cgroup.controllers":             allV2Controllers,
		"cgroup.subtree_control":         "",
		"machine/cgroup.controllers":     allV2Controllers,
		"machine/cgroup.subtree_control": "cpuset cpu io memory hugetlb pids rdma misc\n",
	})
	if withFiles {
		files := map[string]string{}
		for k, v := range v2ContainerFiles {
			files["machine/ctr/"+k] = v
		}
		writeTree(t, mnt, files)
	}
	h := &host{mode: Unified, unified: mount{Dir: mnt, Root: "/"}, own: map[string]string{"": "/init.scope"}}
	m, err := newManager(h, &configs.Cgroup{Path: "/machine/ctr"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	v2 := m.(*v2Manager)
	rec := &recorder{root: mnt}
	v2.write = rec.write
	return v2, rec, mnt
}

func TestV2Apply(t *testing.T) {
	m, rec, mnt := newV2Fixture(t, false)
	rec.create = true
	writeTree(t, mnt, map[string]string{"machine/cgroup.subtree_control": "cpu memory\n"})
	if err := m.Apply(4242); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"cgroup.subtree_control=+cpuset", "cgroup.subtree_control=+cpu", "cgroup.subtree_control=+io",
		"cgroup.subtree_control=+memory", "cgroup.subtree_control=+hugetlb", "cgroup.subtree_control=+pids",
		"cgroup.subtree_control=+rdma", "cgroup.subtree_control=+misc",
		// cpu and memory were already on in machine/.
		"machine/cgroup.subtree_control=+cpuset", "machine/cgroup.subtree_control=+io",
		"machine/cgroup.subtree_control=+hugetlb", "machine/cgroup.subtree_control=+pids",
		"machine/cgroup.subtree_control=+rdma", "machine/cgroup.subtree_control=+misc",
		"machine/ctr/cgroup.procs=4242",
	}, "\n")
	if got := rec.log(); got != want {
		t.Errorf("writes:\n%s\nwant:\n%s", got, want)
	}
	st := m.State()
	if !reflect.DeepEqual(st.Created, []string{filepath.Join(mnt, "machine/ctr")}) || st.Mountpoint != mnt || st.Mode != Unified {
		t.Errorf("state %+v", st)
	}

	// A second Apply (exec joining the container) creates nothing more.
	rec.reset()
	if err := m.Apply(4343); err != nil {
		t.Fatal(err)
	}
	if got := m.State().Created; len(got) != 1 {
		t.Errorf("created after second Apply: %v", got)
	}
}

func TestV2ApplyCreatesParents(t *testing.T) {
	mnt := t.TempDir()
	writeTree(t, mnt, map[string]string{"cgroup.controllers": "memory\n", "cgroup.subtree_control": ""})
	h := &host{mode: Unified, unified: mount{Dir: mnt, Root: "/"}, own: map[string]string{"": "/"}}
	mgr, err := newManager(h, &configs.Cgroup{Path: "/a/b/c"}, "c")
	if err != nil {
		t.Fatal(err)
	}
	m := mgr.(*v2Manager)
	rec := &recorder{root: mnt, create: true}
	m.write = rec.write
	if err := m.Apply(0); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(mnt, "a"), filepath.Join(mnt, "a/b"), filepath.Join(mnt, "a/b/c")}
	if got := m.State().Created; !reflect.DeepEqual(got, want) {
		t.Errorf("created %v, want %v", got, want)
	}
	// pid 0 only creates; the new parents have no cgroup.controllers in
	// the fixture, so enabling stops at the mount point.
	if got := rec.log(); got != "cgroup.subtree_control=+memory" {
		t.Errorf("writes: %s", got)
	}
}

func TestV2Set(t *testing.T) {
	tests := []struct {
		name  string
		r     specs.LinuxResources
		files map[string]string // extra fixture files
		want  []string
	}{
		{
			name: "memory",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Swap: i64(2 << 30), Reservation: i64(1 << 29), Kernel: i64(1 << 20)}},
			want: []string{"memory.swap.max=1073741824", "memory.max=1073741824", "memory.low=536870912"},
		},
		{
			name: "memory unlimited",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			want: []string{"memory.swap.max=max", "memory.max=max"},
		},
		{
			name: "memory without swap",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096), Swap: i64(4096), UseHierarchy: boolp(true), DisableOOMKiller: boolp(false)}},
			want: []string{"memory.swap.max=0", "memory.max=4096"},
		},
		{
			name: "cpu",
			r:    specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Burst: u64(10000), Idle: i64(1), Cpus: "0-1", Mems: "0"}},
			want: []string{"cpu.weight=100", "cpu.max=50000 100000", "cpu.max.burst=10000", "cpu.idle=1", "cpuset.cpus=0-1", "cpuset.mems=0"},
		},
		{
			name:  "cpu period only keeps the quota",
			r:     specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(200000)}},
			files: map[string]string{"cpu.max": "25000 100000\n"},
			want:  []string{"cpu.max=25000 200000"},
		},
		{
			name: "cpu unlimited quota",
			r:    specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}},
			want: []string{"cpu.max=max"},
		},
		{
			name: "pids",
			r:    specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(100)}},
			want: []string{"pids.max=100"},
		},
		{
			name: "pids zero is a limit",
			r:    specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}},
			want: []string{"pids.max=0"},
		},
		{
			name: "pids unlimited",
			r:    specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			want: []string{"pids.max=max"},
		},
		{
			name: "io converted",
			r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				Weight:                  u16(500),
				WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(100)}},
				ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
				ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 0}},
				ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 100}},
				ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 200}},
			}},
			want: []string{"io.weight=4950", "io.weight=8:0 910", "io.max=8:0 rbps=1048576", "io.max=8:16 wbps=max", "io.max=8:0 riops=100", "io.max=8:0 wiops=200"},
		},
		{
			name:  "io with bfq",
			r:     specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(100)}}}},
			files: map[string]string{"io.bfq.weight": "default 100\n"},
			want:  []string{"io.bfq.weight=500", "io.bfq.weight=8:0 100"},
		},
		{
			name: "hugetlb",
			r:    specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 30}, {Pagesize: "1GB", Limit: 0}}},
			want: []string{"hugetlb.2MB.max=1073741824", "hugetlb.2MB.rsvd.max=1073741824", "hugetlb.1GB.max=0"},
		},
		{
			name: "rdma",
			r:    specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: u32(3), HcaObjects: u32(10000)}, "mlx4_0": {HcaObjects: u32(1000)}}},
			want: []string{"rdma.max=mlx4_0 hca_object=1000", "rdma.max=mlx5_1 hca_handle=3 hca_object=10000"},
		},
		{
			name: "unified after converted values",
			r: specs.LinuxResources{
				Memory:  &specs.LinuxMemory{Limit: i64(4096)},
				Unified: map[string]string{"memory.max": "8192", "io.max": "8:0 rbps=1\n8:16 wbps=2\n", "memory.high": "max"},
			},
			want: []string{"memory.max=4096", "io.max=8:0 rbps=1", "io.max=8:16 wbps=2", "memory.high=max", "memory.max=8192"},
		},
		{
			name: "nothing",
			r:    specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}, Pids: &specs.LinuxPids{}},
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, mnt := newV2Fixture(t, true)
			files := map[string]string{}
			for k, v := range tc.files {
				files["machine/ctr/"+k] = v
			}
			writeTree(t, mnt, files)
			if err := m.Set(&tc.r); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, "machine/ctr/"+w)
			}
			if got := rec.log(); got != strings.Join(want, "\n") {
				t.Errorf("writes:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
		})
	}
}

func TestV2SetDevices(t *testing.T) {
	m, rec, _ := newV2Fixture(t, true)
	var got []deviceRule
	m.installDevices = func(dir string, rules []deviceRule) error {
		if dir != m.dir {
			t.Errorf("installed on %s", dir)
		}
		got = rules
		return nil
	}
	err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "wr"},
		{Allow: true, Type: "b", Major: i64(8), Access: "m"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []deviceRule{
		{allow: false, typ: 'a', major: -1, minor: -1, access: "rwm"},
		{allow: true, typ: 'c', major: 1, minor: 3, access: "rw"},
		{allow: true, typ: 'b', major: 8, minor: -1, access: "m"},
	}
	if !reflect.DeepEqual(got, want) || rec.log() != "" {
		t.Errorf("rules %+v, writes %q", got, rec.log())
	}
}

func TestV2SetErrors(t *testing.T) {
	tests := []struct {
		name string
		r    specs.LinuxResources
		err  string
	}{
		{"swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(10)}}, "swappiness is not supported on cgroup v2"},
		{"kernelTCP", specs.LinuxResources{Memory: &specs.LinuxMemory{KernelTCP: i64(1 << 20)}}, "kernelTCP is not supported"},
		{"oom killer", specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: boolp(true)}}, "disableOOMKiller is not supported"},
		{"hierarchy", specs.LinuxResources{Memory: &specs.LinuxMemory{UseHierarchy: boolp(false)}}, "useHierarchy false"},
		{"swap alone", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(1 << 20)}}, "needs memory.limit"},
		{"swap below limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(2 << 20), Swap: i64(1 << 20)}}, "less than memory.limit"},
		{"realtime", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1000)}}, "realtimeRuntime/realtimePeriod are not supported"},
		{"shares range", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1)}}, "outside [2, 262144]"},
		{"burst above quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(1000), Burst: u64(2000)}}, "burst 2000 is larger than quota"},
		{"leaf weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(100)}}, "leafWeight is not supported"},
		{"io weight range", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}}, "blockIO.weight: weight 5 is outside [10, 1000]"},
		{"network", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}, "network is not supported on cgroup v2"},
		{"unified slash", specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}}, "is not a cgroup file name"},
		{"unified dots", specs.LinuxResources{Unified: map[string]string{"memory..max": "1"}}, "is not a cgroup file name"},
		{"unified no controller", specs.LinuxResources{Unified: map[string]string{"nodot": "1"}}, "is not a cgroup file name"},
		{"unified unknown file", specs.LinuxResources{Unified: map[string]string{"memory.bogus": "1"}}, `linux.resources.unified["memory.bogus"]: set `},
		{"device type", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, `devices[0].type "x"`},
		{"device access", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rx"}}}, `devices[0].access "rx"`},
		{"device major", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Major: i64(-5)}}}, "devices[0].major -5"},
		{"page size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}}, `pageSize "2M"`},
		{"page size absent", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "64KB"}}}, "page size 64KB is not supported here"},
		{"rdma empty", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx": {}}}, "neither hcaHandles nor hcaObjects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, _ := newV2Fixture(t, true)
			m.installDevices = func(string, []deviceRule) error { return nil }
			err := m.Set(&tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if strings.Contains(tc.name, "unified") || strings.Contains(tc.name, "swap") {
				if rec.log() != "" {
					t.Errorf("wrote before refusing: %s", rec.log())
				}
			}
		})
	}
	// New refuses the same before creating anything.
	h := &host{mode: Unified, unified: mount{Dir: "/sys/fs/cgroup", Root: "/"}, own: map[string]string{"": "/"}}
	_, err := newManager(h, &configs.Cgroup{Path: "/x", Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(1)}}}, "x")
	if err == nil || !strings.Contains(err.Error(), "swappiness") {
		t.Errorf("New: %v", err)
	}
}

func TestV2CheckBeforeUpdate(t *testing.T) {
	m, rec, mnt := newV2Fixture(t, true)
	writeTree(t, mnt, map[string]string{"machine/ctr/memory.current": "5000\n"})
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096), CheckBeforeUpdate: boolp(true)}})
	if err == nil || !strings.Contains(err.Error(), "not above the current usage 5000") || rec.log() != "" {
		t.Fatalf("err = %v, writes %q", err, rec.log())
	}
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(8192), CheckBeforeUpdate: boolp(true)}}); err != nil {
		t.Fatal(err)
	}
	// Without the flag v2 takes the lower limit (and reclaims).
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096)}}); err != nil {
		t.Fatal(err)
	}
}

func TestV2MissingControllerHints(t *testing.T) {
	m, _, mnt := newV2Fixture(t, true)
	if err := os.Remove(filepath.Join(mnt, "machine/ctr/pids.max")); err != nil {
		t.Fatal(err)
	}
	set := func() error { return m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}) }

	// Enabled in the parent, yet no file: the kernel lacks it.
	err := set()
	if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "pids.max to 10: no such file or directory (the kernel does not provide this file)") {
		t.Errorf("enabled: %v", err)
	}
	writeTree(t, mnt, map[string]string{"machine/cgroup.subtree_control": "cpu memory\n"})
	err = set()
	if err == nil || !strings.Contains(err.Error(), "the pids controller is not enabled in "+filepath.Join(mnt, "machine")+"/cgroup.subtree_control") {
		t.Errorf("not enabled: %v", err)
	}
	m.enableErrs = map[string]error{"pids": unix.EBUSY}
	err = set()
	if err == nil || !strings.Contains(err.Error(), "enabling the pids controller in "+filepath.Join(mnt, "machine")+"/cgroup.subtree_control failed: device or resource busy") {
		t.Errorf("enable failed: %v", err)
	}
	writeTree(t, mnt, map[string]string{"machine/cgroup.controllers": "cpu memory\n"})
	err = set()
	if err == nil || !strings.Contains(err.Error(), `the pids controller is not available in `+filepath.Join(mnt, "machine")+` (its cgroup.controllers is "cpu memory")`) {
		t.Errorf("not available: %v", err)
	}
}

func TestV2Stats(t *testing.T) {
	m, _, mnt := newV2Fixture(t, true)
	files := map[string]string{
		"cpu.stat":            "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 10\nnr_throttled 2\nthrottled_usec 50\nnr_bursts 0\nburst_usec 0\n",
		"cpu.pressure":        "some avg10=1.00 avg60=0.50 avg300=0.10 total=777\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",
		"memory.stat":         "anon 4096\nfile 8192\nkernel 1024\npgfault 12\n",
		"memory.current":      "12288\n",
		"memory.max":          "1073741824\n",
		"memory.peak":         "20000\n",
		"memory.events":       "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n",
		"memory.swap.current": "100\n",
		"memory.swap.max":     "1000\n",
		"memory.swap.events":  "high 0\nmax 2\nfail 0\n",
		"memory.pressure":     "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"pids.current":        "3\n",
		"pids.max":            "100\n",
		"io.stat":             "8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n",
		"hugetlb.2MB.current": "2097152\n",
		"hugetlb.2MB.events":  "max 4\n",
		"hugetlb.1GB.current": "0\n",
	}
	tree := map[string]string{}
	for k, v := range files {
		tree["machine/ctr/"+k] = v
	}
	writeTree(t, mnt, tree)
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{
		CPU: CPUStats{
			Usage:      CPUUsage{Total: 1000000, User: 600000, Kernel: 400000},
			Throttling: Throttling{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 50000},
			PSI:        &PSIStats{Some: PSIData{Avg10: 1, Avg60: 0.5, Avg300: 0.1, Total: 777}, Full: PSIData{Total: 5}},
		},
		Memory: MemoryStats{
			Cache: 8192,
			Usage: MemoryEntry{Usage: 12288, Limit: 1073741824, Max: 20000, Failcnt: 7},
			Swap:  MemoryEntry{Usage: 12388, Limit: 1073742824, Failcnt: 2},
			Raw:   map[string]uint64{"anon": 4096, "file": 8192, "kernel": 1024, "pgfault": 12},
			PSI:   &PSIStats{Some: PSIData{Total: 1}},
		},
		Pids: PidsStats{Current: 3, Limit: 100},
		Blkio: BlkioStats{
			IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 4096}, {Major: 8, Op: "Write", Value: 512}},
			IoServicedRecursive:     []BlkioEntry{{Major: 8, Op: "Read", Value: 2}, {Major: 8, Op: "Write", Value: 1}},
		},
		Hugetlb: map[string]HugetlbStat{"2MB": {Usage: 2097152, Failcnt: 4}, "1GB": {}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats\n%+v\nwant\n%+v", st, want)
	}

	// Unlimited memory and swap stay unlimited in the combined figure;
	// unlimited pids report 0.
	writeTree(t, mnt, map[string]string{"machine/ctr/memory.max": "max\n", "machine/ctr/pids.max": "max\n"})
	st, err = m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.Usage.Limit != math.MaxUint64 || st.Memory.Swap.Limit != math.MaxUint64 || st.Pids.Limit != 0 {
		t.Errorf("unlimited: %+v %+v", st.Memory, st.Pids)
	}

	// A controller that is not enabled leaves its part empty.
	for _, f := range []string{"memory.stat", "io.stat", "pids.current"} {
		os.Remove(filepath.Join(mnt, "machine/ctr", f))
	}
	st, err = m.Stats()
	if err != nil || st.Memory.Usage.Usage != 0 || st.Pids.Current != 0 || st.CPU.Usage.Total != 1000000 {
		t.Errorf("partial: %+v, %v", st, err)
	}
}

func TestV2OOMKillCount(t *testing.T) {
	m, _, mnt := newV2Fixture(t, true)
	writeTree(t, mnt, map[string]string{"machine/ctr/memory.events": "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\n"})
	if n, err := m.OOMKillCount(); err != nil || n != 2 {
		t.Errorf("OOMKillCount = %d, %v", n, err)
	}
	os.Remove(filepath.Join(mnt, "machine/ctr/memory.events"))
	writeTree(t, mnt, map[string]string{"machine/cgroup.subtree_control": "cpu\n"})
	if _, err := m.OOMKillCount(); err == nil || !strings.Contains(err.Error(), "memory controller is not enabled") {
		t.Errorf("without memory: %v", err)
	}
}

func TestV2Freezer(t *testing.T) {
	defer func(d time.Duration) { freezeTimeout = d }(freezeTimeout)
	freezeTimeout = 30 * time.Millisecond
	m, _, mnt := newV2Fixture(t, true)
	ctr := filepath.Join(mnt, "machine/ctr")

	if s, err := m.FreezerState(); err != nil || s != Thawed {
		t.Errorf("initial state %q, %v", s, err)
	}
	// The fixture never freezes: Freeze times out and thaws again.
	err := m.Freeze()
	if err == nil || !strings.Contains(err.Error(), "not frozen after") || readTree(t, ctr, "cgroup.freeze") != "0" {
		t.Errorf("timeout: %v, cgroup.freeze %q", err, readTree(t, ctr, "cgroup.freeze"))
	}
	writeTree(t, ctr, map[string]string{"cgroup.events": "populated 1\nfrozen 1\n"})
	if err := m.Freeze(); err != nil || readTree(t, ctr, "cgroup.freeze") != "1" {
		t.Fatalf("freeze: %v", err)
	}
	if s, err := m.FreezerState(); err != nil || s != Frozen {
		t.Errorf("state %q, %v", s, err)
	}
	if err := m.Thaw(); err != nil || readTree(t, ctr, "cgroup.freeze") != "0" {
		t.Fatalf("thaw: %v", err)
	}
	if s, _ := m.FreezerState(); s != Thawed {
		t.Errorf("state after thaw %q", s)
	}
	os.Remove(filepath.Join(ctr, "cgroup.freeze"))
	if s, err := m.FreezerState(); err != nil || s != Undefined {
		t.Errorf("no freezer: %q, %v", s, err)
	}
	if err := m.Freeze(); err == nil || !strings.Contains(err.Error(), "needs Linux 5.2") {
		t.Errorf("freeze without cgroup.freeze: %v", err)
	}
}

func TestGetPidsRecursive(t *testing.T) {
	m, _, mnt := newV2Fixture(t, true)
	writeTree(t, mnt, map[string]string{
		"machine/ctr/cgroup.procs":            "1\n2\n",
		"machine/ctr/sub/cgroup.procs":        "3\n2\n",
		"machine/ctr/sub/deeper/cgroup.procs": "",
	})
	pids, err := m.GetPids()
	if err != nil || !reflect.DeepEqual(pids, []int{1, 2, 3}) {
		t.Errorf("GetPids = %v, %v", pids, err)
	}
	writeTree(t, mnt, map[string]string{"machine/ctr/sub/cgroup.procs": "x\n"})
	if _, err := m.GetPids(); err == nil {
		t.Error("garbage pid accepted")
	}
}
