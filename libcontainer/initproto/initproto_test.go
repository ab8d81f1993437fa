package initproto

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestBootstrapRoundTrip(t *testing.T) {
	cases := []Bootstrap{
		{},
		{CloneFlags: unix.CLONE_NEWNS | unix.CLONE_NEWPID},
		{
			CloneFlags: unix.CLONE_NEWUSER | unix.CLONE_NEWTIME,
			Join: []JoinNamespace{
				{Flag: unix.CLONE_NEWNET, Path: "/var/run/netns/a,b c"},
				{Flag: unix.CLONE_NEWIPC, Path: "/proc/1/ns/ipc"},
			},
			TimeOffsets: "monotonic 10 0\nboottime -5 20\n",
			BecomeRoot:  true,
		},
		{Join: []JoinNamespace{{Flag: unix.CLONE_NEWNS, Path: "/proc/self/fd/5"}}, Plan: []byte{1, 0, 1, 0, 0, 0, 'x'}, Root: "/proc/self/fd/6"},
		{
			CgroupJoin: []string{"/sys/fs/cgroup/memory/a/tasks", "/sys/fs/cgroup/unified/a/cgroup.procs"},
			CloneFlags: unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP,
		},
		{CPUsInitial: []uint64{1}, CPUsFinal: []uint64{0, 1 << 63}, HasMemPolicy: true, MemPolicy: unix.MPOL_BIND | unix.MPOL_F_STATIC_NODES, MemNodes: []uint64{1}},
		{HasMemPolicy: true, MemPolicy: unix.MPOL_LOCAL},
		{
			CloneFlags: unix.CLONE_NEWNS | unix.CLONE_NEWPID, Keyring: "_ses.ct1", Built: true, BuiltListenFd: 7,
			ProcMounts: []ProcMount{{Attr: unix.MOUNT_ATTR_NOSUID, Source: "proc"}, {Attr: unix.MOUNT_ATTR_RDONLY, Data: "hidepid=invisible,subset=pid"}},
		},
	}
	for i, want := range cases {
		got, err := DecodeBootstrap(want.Encode())
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("case %d: got %+v, want %+v", i, *got, want)
		}
	}
}

func TestDecodeBootstrapRejectsGarbage(t *testing.T) {
	for _, p := range [][]byte{{1}, {1, 0, 9, 0, 0, 0, 1}, {9, 0, 0, 0, 0, 0}, {1, 0, 2, 0, 0, 0, 1, 2}, {13, 0, 4, 0, 0, 0, 1, 0, 0, 0}, {13, 0, 5, 0, 0, 0, 1, 0, 0, 0, 'x'}, {12, 0, 1, 0, 0, 0, 1}} {
		if _, err := DecodeBootstrap(p); err == nil {
			t.Errorf("DecodeBootstrap(%v) succeeded", p)
		}
	}
}

func socketpair(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewConn(os.NewFile(uintptr(fds[0]), "a")), NewConn(os.NewFile(uintptr(fds[1]), "b"))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestMessages(t *testing.T) {
	a, b := socketpair(t)
	cfg := InitConfig{Mode: ModeExec, ContainerID: "c1", ConsoleFd: -1, StartFd: -1}
	if err := a.SendJSON(MsgConfig, cfg); err != nil {
		t.Fatal(err)
	}
	var got InitConfig
	if err := b.ExpectJSON(MsgConfig, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("got %+v, want %+v", got, cfg)
	}

	// An error message becomes a RemoteError carrying exactly the text.
	if err := a.SendError(errors.New(`mount "proc" on /proc: permission denied`)); err != nil {
		t.Fatal(err)
	}
	_, err := b.Expect(MsgReady)
	var re *RemoteError
	if !errors.As(err, &re) || re.Msg != `mount "proc" on /proc: permission denied` {
		t.Errorf("got %v, want the remote error", err)
	}

	// The wrong message type is a protocol error naming both types.
	if err := a.Send(MsgHooksDone, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expect(MsgReady); err == nil || err.Error() != "sync protocol: expected ready, got hooks-done" {
		t.Errorf("got %v", err)
	}

	// A closed peer is ErrPeerClosed, which exec relies on to see execve.
	a.Close()
	if _, _, err := b.Recv(); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("got %v, want ErrPeerClosed", err)
	}
}

func TestOversizedPayloadRejected(t *testing.T) {
	a, b := socketpair(t)
	if _, err := a.File().Write([]byte{0xff, 0xff, 0xff, 0x7f, byte(MsgConfig)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Recv(); err == nil {
		t.Fatal("oversized payload accepted")
	}
}

func TestSendFd(t *testing.T) {
	a, b := socketpair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := a.SendFd(MsgSeccompFd, int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(MsgReady, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expect(MsgSeccompFd); err != nil {
		t.Fatal(err)
	}
	fd := b.TakeFd()
	if fd < 0 {
		t.Fatal("no fd received")
	}
	got := os.NewFile(uintptr(fd), "received")
	defer got.Close()
	if _, err := got.WriteString("hi"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := r.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("read %q, %v through the received fd", buf, err)
	}
	if p, err := b.Expect(MsgReady); err != nil || string(p) != "x" {
		t.Fatalf("next message: %q, %v", p, err)
	}
	if b.TakeFd() != -1 {
		t.Error("a second fd appeared")
	}
}

func TestPlanRoundTrip(t *testing.T) {
	for i, want := range []Plan{
		{Args: []string{"true"}, Cwd: "/", Umask: 0o022},
		examplePlan(),
	} {
		got, err := DecodePlan(want.Encode())
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("case %d: got %+v, want %+v", i, *got, want)
		}
	}
	for _, p := range [][]byte{{99, 0, 0, 0, 0, 0}, {4, 0, 3, 0, 0, 0, 1, 2, 3}} {
		if _, err := DecodePlan(p); err == nil {
			t.Errorf("DecodePlan(%v) succeeded", p)
		}
	}
}

// examplePlan sets every field to a value that differs from its neighbours.
func examplePlan() Plan {
	personality, io := uint32(8), uint32(2<<13|5)
	return Plan{
		Args: []string{"sh", "-c", "echo $A", ""}, Env: []string{"A=1", "PATH=/bin"}, Cwd: "/tmp",
		UID: 1000, GID: 1001, Umask: 0o077, Groups: []uint32{5, 6},
		Caps:       &PlanCaps{Bounding: 1<<21 | 1, Effective: 1 << 2, Permitted: 1 << 3, Inheritable: 1 << 4, Ambient: 1 << 40},
		NoNewPrivs: true, Personality: &personality,
		Rlimits:    []configs.Rlimit{{Type: 7, Soft: 100, Hard: 200}, {Type: 9, Soft: 1 << 40, Hard: ^uint64(0)}},
		SeccompBPF: []byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f}, SeccompFlags: 2, PreserveFds: 3,
		Scheduler:  &configs.Scheduler{Policy: 6, Flags: 9, Nice: -3, Priority: 11, Runtime: 1e6, Deadline: 2e6, Period: 3e6},
		IOPriority: &io, Apparmor: "prof", Selinux: "system_u:system_r:container_t:s0",
	}
}

func TestCapMask(t *testing.T) {
	m, err := CapMask([]int{0, 21, 40})
	if err != nil || m != 1|1<<21|1<<40 {
		t.Errorf("CapMask = %#x, %v", m, err)
	}
	if _, err := CapMask([]int{64}); err == nil {
		t.Error("capability 64 accepted")
	}
}

// Many fds with a payload larger than the socket buffer (the config of a
// big container): every fd arrives, in order, with the message.
func TestSendJSONFds(t *testing.T) {
	a, b := socketpair(t)
	const n = 40
	var readers []*os.File
	var fds []int
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		readers = append(readers, r)
		fds = append(fds, int(w.Fd()))
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = 'a'
	}
	sent := make(chan error, 1)
	go func() { sent <- a.SendJSONFds(MsgConfig, string(big), fds) }()
	var got string
	if err := b.ExpectJSON(MsgConfig, &got); err != nil {
		t.Fatal(err)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got != string(big) {
		t.Fatalf("payload of %d bytes came back as %d bytes", len(big), len(got))
	}
	for i := range n {
		fd := b.TakeFd()
		if fd < 0 {
			t.Fatalf("fd %d of %d missing", i, n)
		}
		f := os.NewFile(uintptr(fd), "received")
		if _, err := f.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		buf := make([]byte, 1)
		if _, err := readers[i].Read(buf); err != nil || buf[0] != byte(i) {
			t.Fatalf("fd %d: read %v, %v: not the fd sent at that place", i, buf, err)
		}
	}
	if b.TakeFd() != -1 {
		t.Error("more fds than were sent")
	}
	if err := a.SendJSONFds(MsgConfig, "x", make([]int, MaxFdsPerMsg+1)); err == nil {
		t.Error("more fds than fit in one message accepted")
	}
}
