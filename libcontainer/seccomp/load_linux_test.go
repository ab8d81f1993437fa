package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// childEnv selects a child mode when the test binary re-executes itself:
// a loaded filter cannot be removed, so filters are only ever loaded in a
// child process.
const childEnv = "OCIRUN_SECCOMP_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		var err error
		switch mode {
		case "deny":
			err = childDeny()
		case "nocap":
			err = childNoCap()
		case "notify":
			err = childNotify(os.Getenv("OCIRUN_SECCOMP_TEST_SOCK"))
		case "bpf":
			err = childBPF()
		default:
			err = fmt.Errorf("unknown child mode %q", mode)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+mode)...)
	return cmd
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the filter is loaded without no_new_privs, which takes CAP_SYS_ADMIN")
	}
}

func TestLoadDeniesInChild(t *testing.T) {
	requireRoot(t)
	cmd := runChild(t, "deny")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	t.Logf("child output:\n%s", out.String())
}

// childDeny loads a filter and checks what it does, from the inside.
func childDeny() error {
	// Start some threads first: TSYNC must put the filter on all of them.
	stop := make(chan struct{})
	defer close(stop)
	for range 4 {
		go func() {
			runtime.LockOSThread()
			<-stop
		}()
	}
	time.Sleep(50 * time.Millisecond)

	s := &configs.Seccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EPERM))},
			{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.ENOSYS))},
			// Two args: denied only when both match.
			{Names: []string{"getpriority"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EACCES)), Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: unix.PRIO_PROCESS, Op: specs.OpEqualTo},
				{Index: 1, Value: 4242, Op: specs.OpEqualTo},
			}},
			{Names: []string{"no_such_syscall_y"}, Action: specs.ActErrno},
		},
	}
	fd, err := Load(s)
	if err != nil {
		return err
	}
	if fd != -1 {
		return fmt.Errorf("Load returned notify fd %d without SCMP_ACT_NOTIFY", fd)
	}

	dir, err := os.MkdirTemp("", "seccomp-child")
	if err == nil {
		os.Remove(dir)
		return errors.New("os.MkdirTemp succeeded under the filter")
	}
	if !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("os.MkdirTemp: %v, want EPERM", err)
	}
	p, err := unix.BytePtrFromString(filepath.Join(os.TempDir(), "seccomp-child-mkdir"))
	if err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_MKDIR, uintptr(unsafe.Pointer(p)), 0o700, 0); e != unix.EPERM {
		return fmt.Errorf("mkdir(2): errno %v, want EPERM", e)
	}
	buf := make([]byte, 4096)
	if _, err := unix.Getcwd(buf); !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("getcwd: %v, want ENOSYS", err)
	}
	if _, err := unix.Getpriority(unix.PRIO_PROCESS, 4242); !errors.Is(err, unix.EACCES) {
		return fmt.Errorf("getpriority(PRIO_PROCESS, 4242): %v, want EACCES", err)
	}
	// Only one of the two args matches: the rule must not fire.
	if _, err := unix.Getpriority(unix.PRIO_PROCESS, 0); err != nil {
		return fmt.Errorf("getpriority(PRIO_PROCESS, 0): %v, want success", err)
	}
	if _, err := unix.Getpriority(unix.PRIO_PGRP, 4242); errors.Is(err, unix.EACCES) {
		return errors.New("getpriority(PRIO_PGRP, 4242): EACCES, the args were ORed")
	}

	// Every thread carries the filter; the process did not get
	// no_new_privs from it.
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) < 2 {
		return fmt.Errorf("list threads: %v (%d found)", err, len(tasks))
	}
	for _, st := range tasks {
		b, err := os.ReadFile(st)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "\nSeccomp:\t2\n") {
			return fmt.Errorf("%s: not in filter mode:\n%s", st, grepLines(string(b), "Seccomp", "NoNewPrivs"))
		}
		if !strings.Contains(string(b), "\nNoNewPrivs:\t0\n") {
			return fmt.Errorf("%s: no_new_privs was set:\n%s", st, grepLines(string(b), "NoNewPrivs"))
		}
	}
	fmt.Printf("%d threads filtered; mkdir EPERM, getcwd ENOSYS, getpriority AND ok\n", len(tasks))
	return nil
}

// TestLoadWithoutCapSysAdmin checks that the filter does not set
// no_new_privs by itself: without it, loading needs CAP_SYS_ADMIN.
func TestLoadWithoutCapSysAdmin(t *testing.T) {
	requireRoot(t)
	out, err := runChild(t, "nocap").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func childNoCap() error {
	// seccomp(2) checks the calling thread's capabilities, and the cgo
	// call into libseccomp runs on this locked thread.
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Effective &^= 1 << unix.CAP_SYS_ADMIN
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	_, err := Load(&configs.Seccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno}}})
	want := "load seccomp filter: permission denied (no_new_privs is not set and CAP_SYS_ADMIN is missing)"
	if err == nil || err.Error() != want {
		return fmt.Errorf("Load without CAP_SYS_ADMIN: %v, want %q", err, want)
	}
	return nil
}

func grepLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestLoadNotify runs the whole SCMP_ACT_NOTIFY path: the child loads a
// filter that notifies getppid, hands the fd over with SendNotifyFd, and
// the test answers the notification as a seccomp agent would.
func TestLoadNotify(t *testing.T) {
	requireRoot(t)
	if api, _ := libseccomp.GetAPI(); api < notifyAPI {
		t.Skipf("libseccomp API level %d has no user notification", api)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cmd := runChild(t, "notify", "OCIRUN_SECCOMP_TEST_SOCK="+sock)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	l.SetDeadline(time.Now().Add(20 * time.Second))
	conn, err := l.AcceptUnix()
	if err != nil {
		t.Fatalf("accept: %v\nchild output:\n%s", err, out.String())
	}
	st, fds := readProcessState(t, conn)
	if len(fds) != 1 {
		t.Fatalf("got %d fds, want 1", len(fds))
	}
	notifyFd := fds[0]
	defer unix.Close(notifyFd)
	if len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName {
		t.Errorf("fds = %q, want [seccompFd]", st.Fds)
	}
	if st.Version != specs.Version || st.Metadata != "agent-meta" || st.Pid != cmd.Process.Pid ||
		st.State.ID != "ctr1" || st.State.Status != specs.StateCreating {
		t.Errorf("state = %+v", st)
	}

	for attempt := 1; ; attempt++ {
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(notifyFd))
		if err != nil {
			t.Fatalf("NotifReceive: %v", err)
		}
		name, _ := req.Data.Syscall.GetName()
		// The kernel names the calling thread, which in the Go child need
		// not be its main one.
		if name != "getppid" || threadGroup(int(req.Pid)) != cmd.Process.Pid {
			t.Errorf("notification for %q from thread %d (of process %d), want getppid from process %d", name, req.Pid, threadGroup(int(req.Pid)), cmd.Process.Pid)
		}
		err = libseccomp.NotifRespond(libseccomp.ScmpFd(notifyFd), &libseccomp.ScmpNotifResp{ID: req.ID, Val: 4242})
		// A signal to the waiting thread (in the Go child, the runtime's
		// preemption signal, frequent under load) withdraws the
		// notification: ENOENT. The restarted syscall notifies again.
		if errors.Is(err, unix.ENOENT) && attempt < 20 {
			continue
		}
		if err != nil {
			t.Fatalf("NotifRespond (attempt %d): %v", attempt, err)
		}
		break
	}
	err = cmd.Wait()
	waited = true
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	t.Logf("child output:\n%s", out.String())
}

func readProcessState(t *testing.T, conn *net.UnixConn) (*specs.ContainerProcessState, []int) {
	t.Helper()
	defer conn.Close()
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, got...)
	}
	data := append([]byte(nil), buf[:n]...)
	// The rest of the payload, if any, follows without fds until EOF.
	for {
		m, err := conn.Read(buf)
		data = append(data, buf[:m]...)
		if err != nil {
			break
		}
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("decode state (%d bytes, starts %.200q): %v", len(data), data, err)
	}
	return &st, fds
}

func childNotify(sock string) error {
	s := &configs.Seccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     sock,
		ListenerMetadata: "agent-meta",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}},
	}
	fd, err := Load(s)
	if err != nil {
		return err
	}
	if fd < 0 {
		return fmt.Errorf("Load returned no notify fd (%d)", fd)
	}
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		return fmt.Errorf("notify fd %d is not close-on-exec (flags %#x, %v)", fd, flags, err)
	}
	st := &specs.ContainerProcessState{
		Pid:      os.Getpid(),
		Metadata: s.ListenerMetadata,
		State:    specs.State{Version: specs.Version, ID: "ctr1", Status: specs.StateCreating, Pid: os.Getpid()},
	}
	if err := SendNotifyFd(s.ListenerPath, fd, st); err != nil {
		return err
	}
	unix.Close(fd)
	if got := unix.Getppid(); got != 4242 {
		return fmt.Errorf("getppid = %d, want the agent's answer 4242", got)
	}
	fmt.Println("getppid answered by the agent: 4242")
	return nil
}

// threadGroup is the process (thread group id) that thread tid belongs to,
// or -1.
func threadGroup(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}
