// Package gorunc drives an OCI runtime through github.com/containerd/go-runc,
// the client containerd's runc shim uses, and checks what the runtime did
// from the outside (state, /proc, cgroup files).
//
// Run by tests/engines/run.sh inside its namespaces; on its own:
//
//	GORUNC_RUNTIME=/path/to/ocirun GORUNC_ROOTFS=/path/to/busybox-rootfs \
//	    go test ./gorunc
//
// GORUNC_TMP, if set, is where bundles, state and logs go. Needs root; skips
// without it or without GORUNC_RUNTIME and GORUNC_ROOTFS. Like the shim, the
// test process is a child subreaper, so that the container's init and its
// exec'd processes become its children and their exit statuses reach it.
package gorunc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	runc "github.com/containerd/go-runc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var (
	runtimePath = os.Getenv("GORUNC_RUNTIME")
	rootfsPath  = os.Getenv("GORUNC_ROOTFS")
)

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && runtimePath != "" {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			fmt.Fprintf(os.Stderr, "prctl(PR_SET_CHILD_SUBREAPER): %v\n", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

type fixture struct {
	t      *testing.T
	r      *runc.Runc
	dir    string
	id     string
	bundle string
}

func newFixture(t *testing.T, args ...string) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if runtimePath == "" || rootfsPath == "" {
		t.Skip("GORUNC_RUNTIME and GORUNC_ROOTFS are not set")
	}
	base := os.Getenv("GORUNC_TMP")
	dir, err := os.MkdirTemp(base, "gorunc-")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		t:      t,
		dir:    dir,
		id:     fmt.Sprintf("gorunc-%s-%d", strings.ToLower(t.Name()[4:]), os.Getpid()),
		bundle: filepath.Join(dir, "bundle"),
		r: &runc.Runc{
			Command:   runtimePath,
			Root:      filepath.Join(dir, "state"),
			Log:       filepath.Join(dir, "log.json"),
			LogFormat: runc.JSON,
		},
	}
	if err := os.MkdirAll(f.bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := f.spec(args)
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = f.r.Delete(ctx, f.id, &runc.DeleteOpts{Force: true})
		if t.Failed() {
			if log, err := os.ReadFile(f.r.Log); err == nil {
				t.Logf("runtime log %s:\n%s", f.r.Log, log)
			}
		}
		// Nothing is mounted under dir: the rootfs is shared and read-only.
		_ = os.RemoveAll(dir)
	})
	return f
}

// spec is a container in the shape `runc spec` gives, with a read-only
// shared rootfs, its own cgroup and a writable /tmp.
func (f *fixture) spec(args []string) *specs.Spec {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"}
	return &specs.Spec{
		Version: "1.0.2-dev",
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: rootfsPath, Readonly: true},
		Hostname: "gorunc",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: "/gorunc/" + f.id,
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// create runs `create` with pipes for stdio (as the shim does without a
// terminal) and returns the init's pid and its stdout.
func (f *fixture) create() (int, io.Reader) {
	f.t.Helper()
	pio, err := runc.NewPipeIO(0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { pio.Close() })
	pidFile := filepath.Join(f.dir, "init.pid")
	if err := f.r.Create(ctx(f.t), f.id, f.bundle, &runc.CreateOpts{IO: pio, PidFile: pidFile}); err != nil {
		f.t.Fatalf("create %s: %v", f.id, err)
	}
	pio.Stdin().Close()
	return readPid(f.t, pidFile), pio.Stdout()
}

func (f *fixture) status() string {
	f.t.Helper()
	st, err := f.r.State(ctx(f.t), f.id)
	if err != nil {
		f.t.Fatalf("state %s: %v", f.id, err)
	}
	return st.Status
}

func (f *fixture) wantStatus(want string) {
	f.t.Helper()
	if got := f.status(); got != want {
		f.t.Fatalf("state %s: status %q, want %q", f.id, got, want)
	}
}

// exec runs args detached (as the shim does) and returns its pid and
// stdout; the process is the test's child once the runtime has exited.
func (f *fixture) exec(args ...string) (int, io.Reader, error) {
	f.t.Helper()
	pio, err := runc.NewPipeIO(0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { pio.Close() })
	pidFile := filepath.Join(f.dir, fmt.Sprintf("exec-%d.pid", time.Now().UnixNano()))
	proc := specs.Process{
		Args: args,
		Env:  []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
		Cwd:  "/",
		Capabilities: &specs.LinuxCapabilities{
			Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"},
		},
		NoNewPrivileges: true,
	}
	err = f.r.Exec(ctx(f.t), f.id, proc, &runc.ExecOpts{IO: pio, PidFile: pidFile, Detach: true})
	pio.Stdin().Close()
	if err != nil {
		return 0, nil, err
	}
	return readPid(f.t, pidFile), pio.Stdout(), nil
}

// lastLogError is the message of the last error line of the JSON log, the
// text containerd shows for a failed runtime call.
func (f *fixture) lastLogError() string {
	f.t.Helper()
	data, err := os.ReadFile(f.r.Log)
	if err != nil {
		f.t.Fatalf("runtime log: %v", err)
	}
	msg := ""
	for _, line := range strings.Split(string(data), "\n") {
		var e struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Level == "error" {
			msg = e.Msg
		}
	}
	return msg
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file %s holds %q", path, data)
	}
	return pid
}

// wait reaps pid (a child of this subreaper) within a time limit.
func wait(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	type result struct {
		ws  unix.WaitStatus
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, 0, nil)
		ch <- result{ws, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("wait4(%d): %v (is it a child of this subreaper?)", pid, r.err)
		}
		return r.ws
	case <-time.After(20 * time.Second):
		t.Fatalf("pid %d did not exit within 20s", pid)
	}
	return 0
}

func readLine(t *testing.T, r io.Reader) string {
	t.Helper()
	ch := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		ch <- strings.TrimSpace(line)
	}()
	select {
	case l := <-ch:
		return l
	case <-time.After(15 * time.Second):
		t.Fatal("no output line within 15s")
	}
	return ""
}

// cgroupDir is where pid's cgroup of a v1 controller (or of the v2 tree,
// controller "") is, seen from here.
func cgroupDir(t *testing.T, pid int, controller string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if controller == "" && parts[0] == "0" {
			for _, mnt := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
				var st unix.Statfs_t
				if unix.Statfs(mnt, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
					return filepath.Join(mnt, parts[2])
				}
			}
		}
		if slices.Contains(strings.Split(parts[1], ","), controller) {
			return filepath.Join("/sys/fs/cgroup", controller, parts[2])
		}
	}
	t.Fatalf("pid %d has no %q cgroup in %s", pid, controller, data)
	return ""
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func isV2() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// TestLifecycle: create, state, start, exec with its exit code and output,
// ps, kill, delete, and the second `delete --force` the shim sends.
func TestLifecycle(t *testing.T) {
	f := newFixture(t, "sh", "-c", "echo init-ready; exec sleep 300")
	pid, stdout := f.create()
	f.wantStatus("created")
	if err := f.r.Start(ctx(t), f.id); err != nil {
		t.Fatalf("start: %v", err)
	}
	if got := readLine(t, stdout); got != "init-ready" {
		t.Fatalf("init printed %q, want init-ready", got)
	}
	f.wantStatus("running")
	st, err := f.r.State(ctx(t), f.id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != pid {
		t.Errorf("state pid %d, pid file %d", st.Pid, pid)
	}
	if st.Bundle != f.bundle {
		t.Errorf("state bundle %q, want %q", st.Bundle, f.bundle)
	}

	epid, eout, err := f.exec("sh", "-c", "echo exec-out $(hostname); exit 3")
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if got := readLine(t, eout); got != "exec-out gorunc" {
		t.Errorf("exec printed %q, want 'exec-out gorunc'", got)
	}
	if ws := wait(t, epid); !ws.Exited() || ws.ExitStatus() != 3 {
		t.Errorf("exec'd process: status %v, want exit 3", ws)
	}

	spid, _, err := f.exec("sleep", "300")
	if err != nil {
		t.Fatalf("exec sleep: %v", err)
	}
	pids, err := f.r.Ps(ctx(t), f.id)
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	slices.Sort(pids)
	want := []int{pid, spid}
	slices.Sort(want)
	if !slices.Equal(pids, want) {
		t.Errorf("ps: %v, want %v", pids, want)
	}

	if err := f.r.Kill(ctx(t), f.id, int(unix.SIGKILL), &runc.KillOpts{All: true}); err != nil {
		t.Fatalf("kill --all 9: %v", err)
	}
	if ws := wait(t, spid); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("exec'd sleep: status %v, want killed by SIGKILL", ws)
	}
	if ws := wait(t, pid); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("init: status %v, want killed by SIGKILL", ws)
	}
	f.wantStatus("stopped")
	// The shim kills a stopped container again; runc answers with an error
	// the shim recognises as "already finished".
	if err := f.r.Kill(ctx(t), f.id, int(unix.SIGKILL), nil); err != nil &&
		!strings.Contains(err.Error(), "not running") && !strings.Contains(err.Error(), "no such process") &&
		!strings.Contains(err.Error(), "process already finished") {
		t.Errorf("kill 9 of a stopped container: %v (no text the shim treats as 'already finished')", err)
	}

	if err := f.r.Delete(ctx(t), f.id, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := f.r.State(ctx(t), f.id); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("state after delete: %v, want an error containing 'does not exist'", err)
	}
	if err := f.r.Delete(ctx(t), f.id, &runc.DeleteOpts{Force: true}); err != nil {
		t.Errorf("delete --force of a deleted container: %v, want success", err)
	}
	list, err := f.r.List(ctx(t))
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, c := range list {
		if c.ID == f.id {
			t.Errorf("list still shows %s after delete", f.id)
		}
	}
}

// TestUpdate: `update --resources=-` (go-runc writes the JSON on stdin)
// changes the cgroup limits of a running container.
func TestUpdate(t *testing.T) {
	f := newFixture(t, "sleep", "300")
	pid, _ := f.create()
	if err := f.r.Start(ctx(t), f.id); err != nil {
		t.Fatalf("start: %v", err)
	}
	limit := int64(64 << 20)
	pids := int64(42)
	shares := uint64(512)
	res := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit},
		Pids:   &specs.LinuxPids{Limit: pids},
		CPU:    &specs.LinuxCPU{Shares: &shares},
	}
	if err := f.r.Update(ctx(t), f.id, res); err != nil {
		t.Fatalf("update: %v", err)
	}
	if isV2() {
		dir := cgroupDir(t, pid, "")
		if got := readTrim(t, filepath.Join(dir, "memory.max")); got != strconv.FormatInt(limit, 10) {
			t.Errorf("memory.max %s, want %d", got, limit)
		}
		if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "42" {
			t.Errorf("pids.max %s, want 42", got)
		}
	} else {
		if got := readTrim(t, filepath.Join(cgroupDir(t, pid, "memory"), "memory.limit_in_bytes")); got != strconv.FormatInt(limit, 10) {
			t.Errorf("memory.limit_in_bytes %s, want %d", got, limit)
		}
		if got := readTrim(t, filepath.Join(cgroupDir(t, pid, "pids"), "pids.max")); got != "42" {
			t.Errorf("pids.max %s, want 42", got)
		}
		if got := readTrim(t, filepath.Join(cgroupDir(t, pid, "cpu"), "cpu.shares")); got != "512" {
			t.Errorf("cpu.shares %s, want 512", got)
		}
	}
	// The container's cgroup is the one its spec named.
	dir := cgroupDir(t, pid, "pids")
	if isV2() {
		dir = cgroupDir(t, pid, "")
	}
	if !strings.HasSuffix(dir, "/gorunc/"+f.id) {
		t.Errorf("init's cgroup is %s, want one ending in /gorunc/%s", dir, f.id)
	}
	if err := f.r.Kill(ctx(t), f.id, int(unix.SIGKILL), nil); err != nil {
		t.Fatalf("kill: %v", err)
	}
	wait(t, pid)
	if err := f.r.Delete(ctx(t), f.id, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s still there after delete (%v)", dir, err)
	}
}

// TestPauseResume: pause freezes every process, resume thaws them.
func TestPauseResume(t *testing.T) {
	f := newFixture(t, "sleep", "300")
	pid, _ := f.create()
	if err := f.r.Start(ctx(t), f.id); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := f.r.Pause(ctx(t), f.id); err != nil {
		t.Fatalf("pause: %v", err)
	}
	f.wantStatus("paused")
	if !isV2() {
		if got := readTrim(t, filepath.Join(cgroupDir(t, pid, "freezer"), "freezer.state")); got != "FROZEN" {
			t.Errorf("freezer.state %s, want FROZEN", got)
		}
	}
	if err := f.r.Resume(ctx(t), f.id); err != nil {
		t.Fatalf("resume: %v", err)
	}
	f.wantStatus("running")
	if err := f.r.Kill(ctx(t), f.id, int(unix.SIGKILL), nil); err != nil {
		t.Fatalf("kill: %v", err)
	}
	wait(t, pid)
}

// TestDeleteForceRunning: `delete --force` kills a running container.
func TestDeleteForceRunning(t *testing.T) {
	f := newFixture(t, "sleep", "300")
	pid, _ := f.create()
	if err := f.r.Start(ctx(t), f.id); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := f.r.Delete(ctx(t), f.id, &runc.DeleteOpts{Force: true}); err != nil {
		t.Fatalf("delete --force: %v", err)
	}
	if ws := wait(t, pid); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("init: status %v, want killed by SIGKILL", ws)
	}
	if _, err := f.r.State(ctx(t), f.id); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("state after delete --force: %v, want 'does not exist'", err)
	}
}

// TestExecErrors: the texts engines map to exit codes 126/127.
func TestExecErrors(t *testing.T) {
	f := newFixture(t, "sleep", "300")
	pid, _ := f.create()
	if err := f.r.Start(ctx(t), f.id); err != nil {
		t.Fatalf("start: %v", err)
	}
	// With stdio on pipes the runtime's stderr goes to the process's pipes;
	// the shim reports the last error line of the --log file instead.
	if _, _, err := f.exec("/does/not/exist"); err == nil {
		t.Fatal("exec of a missing binary succeeded")
	}
	msg := strings.ToLower(f.lastLogError())
	if !strings.Contains(msg, "no such file or directory") && !strings.Contains(msg, "executable file not found in") {
		t.Errorf("exec of a missing binary: log says %q; want 'no such file or directory' or 'executable file not found in'", msg)
	}
	if _, _, err := f.exec("/etc/passwd"); err == nil {
		t.Fatal("exec of a non-executable file succeeded")
	}
	if msg := strings.ToLower(f.lastLogError()); !strings.Contains(msg, "permission denied") {
		t.Errorf("exec of a non-executable file: log says %q; want 'permission denied'", msg)
	}
	if err := f.r.Kill(ctx(t), f.id, int(unix.SIGKILL), nil); err != nil {
		t.Fatalf("kill: %v", err)
	}
	wait(t, pid)
}

// TestFeatures: `features` (newer containerd asks for it) parses as
// runtime-spec's features document and names what the engines rely on.
func TestFeatures(t *testing.T) {
	f := newFixture(t, "true")
	feat, err := f.r.Features(ctx(t))
	if err != nil {
		t.Fatalf("features: %v", err)
	}
	if !strings.HasPrefix(feat.OCIVersionMin, "1.") || !strings.HasPrefix(feat.OCIVersionMax, "1.") {
		t.Errorf("ociVersionMin %q, ociVersionMax %q: want 1.x", feat.OCIVersionMin, feat.OCIVersionMax)
	}
	for _, o := range []string{"ro", "rbind", "rprivate", "nosuid", "nodev", "noexec", "strictatime", "relatime", "tmpcopyup"} {
		if !slices.Contains(feat.MountOptions, o) {
			t.Errorf("mountOptions lacks %q", o)
		}
	}
	if feat.Linux == nil {
		t.Fatal("no linux section")
	}
	for _, ns := range []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"} {
		if !slices.Contains(feat.Linux.Namespaces, ns) {
			t.Errorf("linux.namespaces lacks %q", ns)
		}
	}
	if !slices.Contains(feat.Linux.Capabilities, "CAP_SYS_ADMIN") {
		t.Errorf("linux.capabilities lacks CAP_SYS_ADMIN")
	}
	if feat.Linux.Seccomp == nil || feat.Linux.Seccomp.Enabled == nil || !*feat.Linux.Seccomp.Enabled {
		t.Errorf("linux.seccomp.enabled is not true")
	}
	if feat.Linux.Cgroup == nil || feat.Linux.Cgroup.V1 == nil || !*feat.Linux.Cgroup.V1 {
		t.Errorf("linux.cgroup.v1 is not true")
	}
}
