package cgroups

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// These tests run on the host's real cgroups, as root, in uniquely named
// cgroups below the test's own, and remove them again.

func TestMain(m *testing.M) {
	if os.Getenv("OCIRUN_CGROUPS_HELPER") == "alloc" {
		// Hold 48 MiB of anonymous memory until stdin closes.
		buf := make([]byte, 48<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(int(buf[4096]) - 1)
	}
	os.Exit(m.Run())
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func uniqueName() string {
	return fmt.Sprintf("ocirun-test-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// proc is a child process that waits for a line on stdin, then runs a
// shell command.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startProc(t *testing.T, script string) *proc {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read x; "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(p.stop)
	return p
}

// run releases the process and returns its first output line.
func (p *proc) run(t *testing.T) string {
	t.Helper()
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("read child output: %v", err)
	}
	return strings.TrimSpace(line)
}

func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	p.stdin.Close()
	p.cmd.Wait()
}

// leaveNothing destroys the manager at the end of the test and makes sure
// no directory it created is left, removing leftovers if a test failed
// half-way.
func leaveNothing(t *testing.T, m Manager, procs ...*proc) {
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop()
		}
		created := m.State().Created
		if err := m.Destroy(); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		slices.Reverse(created)
		for _, d := range created {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("left behind: %s", d)
				removeTree(d)
			}
		}
	})
}

func procsOf(t *testing.T, dir string) []int {
	t.Helper()
	pids, err := readProcs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func mustRead(t *testing.T, dir, file string) string {
	t.Helper()
	s, err := readFile(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(s)
}

func TestHostV1Lifecycle(t *testing.T) {
	needRoot(t)
	mode := DetectMode()
	if mode != Legacy && mode != Hybrid {
		t.Skipf("host is %v, not cgroup v1", mode)
	}
	name := uniqueName()
	m, err := New(&configs.Cgroup{Path: name + "/ctr"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	sleeper := startProc(t, "echo done")
	child := startProc(t, "echo done")
	leaveNothing(t, m, sleeper, child)

	pid := sleeper.cmd.Process.Pid
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if st.Mode != mode {
		t.Errorf("mode %v", st.Mode)
	}
	own, _ := os.ReadFile("/proc/self/cgroup")
	ownMap, _ := parseProcCgroup(string(own))
	theirs, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	theirMap, _ := parseProcCgroup(string(theirs))
	for c, dir := range st.Paths {
		if !slices.Contains(procsOf(t, dir), pid) {
			t.Errorf("pid %d not in %s", pid, dir)
		}
		if want := filepath.Join(ownMap[c], name, "ctr"); theirMap[c] != want {
			t.Errorf("/proc/%d/cgroup %q = %q, want %q", pid, c, theirMap[c], want)
		}
	}
	if mode == Hybrid && st.Paths[""] == "" {
		t.Error("hybrid mode: the cgroup2 directory was not joined")
	}

	// Limits, and the memory+swap ordering both ways on the real kernel.
	const mib = 1 << 20
	memDir := m.Path("memory")
	swapAcct := exists(memDir, v1MemswLimit)
	steps := []struct{ limit, swap int64 }{{64 * mib, 128 * mib}, {256 * mib, 512 * mib}, {32 * mib, 48 * mib}, {-1, 0}}
	for _, s := range steps {
		mem := &specs.LinuxMemory{Limit: i64(s.limit)}
		if s.swap != 0 && swapAcct {
			mem.Swap = i64(s.swap)
		}
		if err := m.Set(&specs.LinuxResources{Memory: mem, Pids: &specs.LinuxPids{Limit: i64(32)}}); err != nil {
			t.Fatalf("limit %d swap %d: %v", s.limit, s.swap, err)
		}
		want := strconv.FormatInt(s.limit, 10)
		if s.limit == -1 {
			want = "9223372036854771712"
		}
		if got := mustRead(t, memDir, v1MemLimit); got != want {
			t.Errorf("memory.limit_in_bytes = %s, want %s", got, want)
		}
		if s.swap != 0 && swapAcct {
			if got := mustRead(t, memDir, v1MemswLimit); got != strconv.FormatInt(s.swap, 10) {
				t.Errorf("memsw = %s, want %d", got, s.swap)
			}
		}
	}
	if got := mustRead(t, m.Path("pids"), "pids.max"); got != "32" {
		t.Errorf("pids.max = %s", got)
	}
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000)}}); err != nil {
		t.Fatal(err)
	}
	cpuDir := m.Path("cpu")
	if got := mustRead(t, cpuDir, "cpu.shares") + " " + mustRead(t, cpuDir, "cpu.cfs_quota_us") + " " + mustRead(t, cpuDir, "cpu.cfs_period_us"); got != "512 50000 100000" {
		t.Errorf("cpu = %s", got)
	}

	// A sub-cgroup made by the container, with a process in it.
	for _, dir := range []string{m.Path("devices"), m.Path("memory")} {
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeFile(sub, "cgroup.procs", strconv.Itoa(child.cmd.Process.Pid)); err != nil {
			t.Fatal(err)
		}
	}
	if pids, err := m.GetPids(); err != nil || !reflect.DeepEqual(pids, sortedInts(pid, child.cmd.Process.Pid)) {
		t.Errorf("GetPids = %v, %v", pids, err)
	}

	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if s, err := m.FreezerState(); err != nil || s != Frozen || mustRead(t, m.Path("freezer"), "freezer.state") != "FROZEN" {
		t.Errorf("after Freeze: %q, %v", s, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if s, err := m.FreezerState(); err != nil || s != Thawed {
		t.Errorf("after Thaw: %q, %v", s, err)
	}

	stats, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// The second process joined only the devices and memory hierarchies.
	if stats.Memory.Usage.Usage == 0 || stats.Pids.Current != 1 || stats.Pids.Limit != 32 || len(stats.Memory.Raw) == 0 || len(stats.CPUSet.CPUs) == 0 {
		t.Errorf("stats: memory %+v pids %+v cpuset %+v", stats.Memory.Usage, stats.Pids, stats.CPUSet)
	}
	if _, err := json.Marshal(stats); err != nil {
		t.Error(err)
	}
	if n, err := m.OOMKillCount(); err != nil || n != 0 {
		t.Errorf("OOMKillCount = %d, %v", n, err)
	}

	// Another command rebuilds the manager from state.json.
	b, err := json.Marshal(m.State())
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(back)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := loaded.GetPids(); err != nil || len(pids) != 2 {
		t.Errorf("loaded GetPids = %v, %v", pids, err)
	}

	// Destroy never kills: with processes inside it fails and keeps the
	// record.
	saved := rmdirRetryDelays
	rmdirRetryDelays = rmdirRetryDelays[:2]
	err = loaded.Destroy()
	rmdirRetryDelays = saved
	if err == nil || !strings.Contains(err.Error(), "processes still in it") {
		t.Errorf("Destroy with processes: %v", err)
	}
	if sleeper.cmd.ProcessState != nil || len(loaded.State().Created) == 0 {
		t.Error("Destroy killed something or forgot what it created")
	}
	sleeper.stop()
	child.stop()
	if err := loaded.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range back.Created {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists: %v", d, err)
		}
	}
}

func sortedInts(v ...int) []int {
	slices.Sort(v)
	return v
}

func TestHostV1Devices(t *testing.T) {
	needRoot(t)
	if mode := DetectMode(); mode != Legacy && mode != Hybrid {
		t.Skip("not cgroup v1")
	}
	m, err := New(&configs.Cgroup{Path: uniqueName()}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, `head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok || echo zero-denied`)
	leaveNothing(t, m, p)
	if err := m.Apply(p.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	err = m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		dev(true, "c", 1, 3, "rwm"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, m.Path("devices"), "devices.list"); got != "c 1:3 rwm" {
		t.Errorf("devices.list = %q", got)
	}
	if got := p.run(t); got != "zero-denied" {
		t.Errorf("child says %q", got)
	}
}

func TestHostV1MemoryBelowUsage(t *testing.T) {
	needRoot(t)
	if mode := DetectMode(); mode != Legacy && mode != Hybrid {
		t.Skip("not cgroup v1")
	}
	m, err := New(&configs.Cgroup{Path: uniqueName()}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "OCIRUN_CGROUPS_HELPER=alloc")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	leaveNothing(t, m, p)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if line, _ := p.out.ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper said %q", line)
	}
	if swaps, _ := os.ReadFile("/proc/swaps"); strings.Count(string(swaps), "\n") > 1 {
		t.Skip("with swap the kernel can push the memory out instead of refusing")
	}
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(8 << 20)}})
	if !errors.Is(err, unix.EBUSY) || !strings.Contains(err.Error(), "more than the new limit, and the kernel could not reclaim enough") {
		t.Errorf("err = %v", err)
	}
	t.Log(err)
}

func TestHostV1Refusals(t *testing.T) {
	needRoot(t)
	if mode := DetectMode(); mode != Legacy && mode != Hybrid {
		t.Skip("not cgroup v1")
	}
	h, err := discoverHost()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		controller string
		r          specs.LinuxResources
	}{
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}}},
		{"net_cls", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}},
		{"net_prio", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 1}}}}},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: u32(1)}}}},
	} {
		if _, mounted := h.v1[c.controller]; mounted {
			continue
		}
		_, err := New(&configs.Cgroup{Path: uniqueName(), Resources: &c.r}, "ctr")
		if err == nil || !strings.Contains(err.Error(), "the cgroup v1 "+c.controller+" controller is not mounted on this host") {
			t.Errorf("%s: %v", c.controller, err)
		}
	}
	_, err = New(&configs.Cgroup{Path: uniqueName(), Resources: &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}}, "ctr")
	if err == nil || !strings.Contains(err.Error(), "linux.resources.unified is set, but this host uses cgroup v1") {
		t.Errorf("unified: %v", err)
	}
}

// unifiedSandbox makes a cgroup2 directory of its own on the host and a
// v2 manager that treats it as the mount point, so nothing above it (the
// host's root cgroup) is touched. On a hybrid host this is the
// controller-less cgroup2 tree: enough for membership, freezing and
// device filters.
func unifiedSandbox(t *testing.T) (*v2Manager, string) {
	t.Helper()
	needRoot(t)
	var root string
	switch DetectMode() {
	case Hybrid:
		root = hybridUnified
	case Unified:
		root = cgroupRoot
	default:
		t.Skip("no cgroup2 tree")
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	ownMap, _ := parseProcCgroup(string(own))
	// Next to our own cgroup, which holds processes.
	sandbox := filepath.Join(root, filepath.Dir(ownMap[""]), uniqueName())
	if err := os.Mkdir(sandbox, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rmdir(sandbox, true); err != nil {
			t.Errorf("remove %s: %v", sandbox, err)
		}
	})
	h := &host{mode: Unified, unified: mount{Dir: sandbox, Root: "/"}, own: map[string]string{"": "/"}}
	m, err := newManager(h, &configs.Cgroup{Path: "/ctr"}, "ctr")
	if err != nil {
		t.Fatal(err)
	}
	return m.(*v2Manager), sandbox
}

func TestHostV2Lifecycle(t *testing.T) {
	m, sandbox := unifiedSandbox(t)
	p := startProc(t, "echo done")
	leaveNothing(t, m, p)
	pid := p.cmd.Process.Pid
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(procsOf(t, m.dir), pid) {
		t.Errorf("pid %d not in %s", pid, m.dir)
	}
	if pids, err := m.GetPids(); err != nil || !reflect.DeepEqual(pids, []int{pid}) {
		t.Errorf("GetPids = %v, %v", pids, err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := cgroupFrozen(m.dir); err != nil || !frozen {
		t.Errorf("cgroup.events frozen = %v, %v", frozen, err)
	}
	if s, err := m.FreezerState(); err != nil || s != Frozen {
		t.Errorf("state %q, %v", s, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if s, err := m.FreezerState(); err != nil || s != Thawed {
		t.Errorf("state %q, %v", s, err)
	}
	if got := p.run(t); got != "done" {
		t.Errorf("child says %q after thaw", got)
	}
	if _, err := m.Stats(); err != nil {
		t.Error(err)
	}
	if got := m.State().Created; !reflect.DeepEqual(got, []string{filepath.Join(sandbox, "ctr")}) {
		t.Errorf("created %v", got)
	}
}

func TestHostV2DeviceFilter(t *testing.T) {
	m, _ := unifiedSandbox(t)
	script := `head -c1 /dev/zero >/dev/null 2>&1 && echo zero-ok || echo zero-denied`
	p1 := startProc(t, script)
	p2 := startProc(t, script)
	leaveNothing(t, m, p1, p2)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	restrict := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, dev(true, "c", 1, 3, "rwm")}
	// Twice: the second replaces the first program.
	for i := 0; i < 2; i++ {
		if err := m.Set(&specs.LinuxResources{Devices: restrict}); err != nil {
			t.Fatal(err)
		}
	}
	if n := attachedCount(t, m.dir); n != 1 {
		t.Errorf("%d programs attached, want 1", n)
	}
	if err := m.Apply(p1.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := p1.run(t); got != "zero-denied" {
		t.Errorf("restricted child says %q", got)
	}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}}); err != nil {
		t.Fatal(err)
	}
	if n := attachedCount(t, m.dir); n != 1 {
		t.Errorf("%d programs attached, want 1", n)
	}
	if err := m.Apply(p2.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := p2.run(t); got != "zero-ok" {
		t.Errorf("unrestricted child says %q", got)
	}
}

func attachedCount(t *testing.T, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ids, err := attachedDevicePrograms(fd)
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// needControllers skips unless the sandbox's cgroup got every named
// controller: on a hybrid host the cgroup2 tree has none.
func needControllers(t *testing.T, dir string, names ...string) {
	t.Helper()
	avail := strings.Fields(mustRead(t, filepath.Dir(dir), "cgroup.subtree_control"))
	for _, n := range names {
		if !slices.Contains(avail, n) {
			t.Skipf("the %s controller is not enabled above %s (subtree_control %q): needs a cgroup v2 host with controllers", n, dir, avail)
		}
	}
}

// On a v2 host with controllers, every resource Set writes lands in the
// kernel's files as the kernel reports it back, and a memory limit below
// what the cgroup uses is refused or reclaimed as the kernel decides, never
// silently dropped.
func TestHostV2Resources(t *testing.T) {
	m, _ := unifiedSandbox(t)
	p := startProc(t, "echo done")
	leaveNothing(t, m, p)
	if err := m.Apply(p.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	needControllers(t, m.dir, "memory", "pids", "cpu", "cpuset")
	limit, swap, pids := int64(96<<20), int64(128<<20), int64(33)
	shares, quota, period := uint64(2048), int64(30000), uint64(100000)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit, Swap: &swap},
		Pids:   &specs.LinuxPids{Limit: &pids},
		CPU:    &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period, Cpus: "0", Mems: "0"},
		Unified: map[string]string{
			"memory.high": "83886080",
		},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory.max":      "100663296",
		"memory.swap.max": "33554432",
		"memory.high":     "83886080",
		"pids.max":        "33",
		"cpu.max":         "30000 100000",
		"cpu.weight":      "174",
		"cpuset.cpus":     "0",
		"cpuset.mems":     "0",
	}
	for file, v := range want {
		if _, err := os.Stat(filepath.Join(m.dir, file)); errors.Is(err, fs.ErrNotExist) && file == "memory.swap.max" {
			continue // no swap accounting in this kernel
		}
		if got := mustRead(t, m.dir, file); got != v {
			t.Errorf("%s = %q, want %q", file, got, v)
		}
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Current != 1 || st.Pids.Limit != 33 {
		t.Errorf("pids stats %+v", st.Pids)
	}
	if st.Memory.Usage.Limit != uint64(limit) {
		t.Errorf("memory limit in stats: %d", st.Memory.Usage.Limit)
	}
	if got := p.run(t); got != "done" {
		t.Errorf("child says %q", got)
	}
}

// The OOM killer fires at memory.max and memory.events counts it, which is
// what OOMKillCount (and so `events`) reports.
func TestHostV2OOMKill(t *testing.T) {
	m, _ := unifiedSandbox(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The helper holds 48 MiB, above the 32 MiB limit.
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "OCIRUN_CGROUPS_HELPER=alloc")
	cmd.Stdin = strings.NewReader("")
	leaveNothing(t, m)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	needControllers(t, m.dir, "memory")
	limit := int64(32 << 20)
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &limit}}); err != nil {
		t.Fatal(err)
	}
	dirFd, err := unix.Open(m.dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirFd)
	cmd.SysProcAttr = &unix.SysProcAttr{UseCgroupFD: true, CgroupFD: dirFd}
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the helper was not OOM-killed: %v", err)
	}
	n, err := m.OOMKillCount()
	if err != nil || n < 1 {
		t.Errorf("OOMKillCount = %d, %v", n, err)
	}
}
