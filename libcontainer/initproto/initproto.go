// Package initproto is the one place that defines how the runtime talks to
// the processes it starts inside a container: the roles, the messages, the
// payloads ([Bootstrap], [Plan], [InitConfig]), their numbers (wire.go, from
// which the C header initproto.h is generated) and the fd layout
// ([ChildFds]).
//
// # Roles
//
//	role       binary                how it is entered                       what it may do
//	---------  --------------------  --------------------------------------  ------------------------------------------
//	runtime    ocirun (Go, no cgo)   the command line                        everything on the host side: state, cgroups,
//	                                                                         ID maps, runtime hooks. Enters the container
//	                                                                         only from one locked thread, to build a
//	                                                                         container it can build (below)
//	stage 0    ocirun-init (C        executed from a sealed read-only mount  join the cgroup, join/create namespaces,
//	           constructor), or      of the binary, in a new PID namespace   fork; single-threaded, before any Go runtime.
//	           ocirun-exec (exec     when no user or time namespace is       Forks only for a PID or time namespace it
//	           with a plan, or a     involved; env $_OCIRUN_SYNC_FD;         created or joined, and exits after sending
//	           container the         fds: stdio, preserved, sync socket,     MsgStage1Pid; otherwise it is stage 1
//	           runtime builds)       extras ([ChildFds]); for stage 1's Go   itself. Its child joins the session keyring
//	                                 runtime, GOMAXPROCS=1 and               (AttrKeyring)
//	                                 $_OCIRUN_SMALL_HEAP (package prefault)
//	stage 1    ocirun-init (Go,      the child stage 0 forks (no exec), or   build the rootfs, sysctls, hostname (package
//	           containerinit)        stage 0 itself                          inside), the terminal, createContainer and
//	                                                                         startContainer hooks, compile seccomp;
//	                                                                         never loads seccomp, never changes the
//	                                                                         process's identity. Ends by executing the
//	                                                                         finisher
//	finisher   ocirun-exec (C,       stage 1 execveat's the sealed binary    the process's last step, the only code that
//	           static musl,          (InitConfig.FinisherFd) with            applies a [Plan]: identity, capabilities,
//	           finish.c)             $_OCIRUN_FINISH="PLAN,SYNC,LISTEN";     rlimits, no_new_privs, LSM label, scheduling,
//	                                 or stage 0's child of ocirun-exec       seccomp, then execve. Waits for start (create)
//	                                 calls it directly (exec with a plan,    single-threaded, without Go
//	                                 a container the runtime built)
//
//	runtime (ocirun create/run/exec, the "parent")
//	   │ executes the init binary with the sync socket as fd $_OCIRUN_SYNC_FD,
//	   │ in the container's new PID namespace when no user namespace must
//	   │ own that and no time namespace makes stage 0 fork anyway
//	   ▼
//	stage 0 — sets its CPU affinity, moves itself into the container's cgroup
//	   │ (which the runtime created), sets the memory policy, joins namespaces by path, unshares the new ones (user
//	   │ first, so the rest are owned by it), and forks if it created or
//	   │ joined a PID or time namespace, which only children enter; the
//	   │ runtime, a child subreaper, adopts the child when stage 0 exits.
//	   │ Without such a namespace stage 0 goes on as stage 1 itself.
//	   ▼
//	stage 1 — (create, or an exec that needs Go) does the Go part and
//	   │ executes the finisher with the plan in a sealed memfd.
//	   ▼
//	finisher — applies the plan; for create it reports MsgReady, then holds
//	     the created container until "ocirun start", then execs the process.
//
// "Stage 0's child", below and elsewhere, is the process stage 0 leaves in
// the container's namespaces: the child it forks or, when it needs none,
// stage 0 itself.
//
// An exec whose process needs nothing of Go (no terminal, a container that
// is not paused, a stored seccomp program) skips stage 1: stage 0 is
// [ExecBinary], the plan travels in MsgBootstrap, and stage 0's child runs
// the finisher at once. The runtime sees MsgStage1Pid, then what it sees of
// any exec after MsgCommitted (EOF, MsgError or MsgSeccompFd).
//
// # The container built by the runtime
//
// A create whose container needs no process of its own to be built
// (libcontainer's runtimeBuilds lists what does: a user namespace, a
// terminal, seccomp, hooks that run inside, ...) starts no stage 1: stage 0
// is ocirun-exec with AttrBuilt, and the runtime builds the container from
// one of its own threads. That thread leaves the filesystem context the
// runtime's threads share (unshare CLONE_FS), enters the network, IPC, UTS,
// cgroup and mount namespaces and the root of stage 0's child, and runs the
// same code as stage 1 (package inside: rootfs, sysctls, hostname); it stays
// locked and ends with its goroutine, so nothing else of the runtime ever
// runs there. Only a procfs depends on the PID namespace of the process
// that makes it: at each procfs mount the thread asks stage 0's child,
// which makes it (fsopen, fsmount) and sends it back, so the mounts keep
// their order. Then the runtime sends MsgBuilt with the plan and the
// container's root; the child enters that root and runs the finisher,
// which reports MsgReady as in any create. This saves a Go runtime's start
// and end per container (see bench/README.md).
//
// The one part of starting a process that stays in Go: startContainer
// hooks, which must run after start inside the container. With such hooks
// stage 1 itself reports MsgReady, waits for start, runs them, and then
// executes the finisher with the start connection as its sync socket (and
// no listening socket): the finisher then applies the whole plan after
// start. tests/bats/parity.bats covers that path too.
//
// # Framing
//
// Every message on the sync socket (a SOCK_STREAM socketpair) is a 4-byte
// little-endian payload length, a 1-byte message type, then the payload,
// written with one write or sendmsg. Payloads are JSON for stage 1; the C
// side reads binary attribute lists ([Bootstrap], [Plan]).
// No two processes ever write at once: stage 0 and its child (when it
// forks one) share the socket, and the child writes nothing until stage 0
// has sent MsgStage1Pid (it waits for EOF on a pipe that stage 0 closes
// after sending).
//
// # Messages
//
//	message          sender    receiver  what the receiver does
//	---------------  --------  --------  -------------------------------------------------------
//	MsgBootstrap     runtime   stage 0   joins the cgroup, joins/creates namespaces as listed
//	                                     ([Bootstrap])
//	MsgMapIDs        stage 0   runtime   writes the child's uid_map, gid_map; answers MsgIDsMapped
//	MsgIDsMapped     runtime   stage 0   becomes root in the new user namespace, unshares the rest
//	MsgStage1Pid     stage 0   runtime   records the host pid of stage 1 (4-byte LE payload);
//	                                     stage 0 exits 0 right after sending it. Pid 0:
//	                                     stage 0 forked no child and is stage 1. With a
//	                                     [Plan] the runtime then waits as for exec after
//	                                     MsgCommitted below
//	MsgConfig        runtime   stage 1   decodes [InitConfig] and starts building the container;
//	                                     the detached trees of id-mapped mounts come with it
//	                                     (SCM_RIGHTS, [InitConfig].MountFds)
//	MsgProcMount     runtime   stage 0's the runtime builds the container: u32 index of an
//	                           child     AttrProcMount; the child answers with a MsgProcMount
//	                                     that carries the detached procfs (SCM_RIGHTS)
//	MsgBuilt         runtime   stage 0's the runtime built the container: the payload is the
//	                           child     [Plan], the fd (SCM_RIGHTS) the container's root, which
//	                                     the child enters before it runs the finisher
//	MsgRuntimeHooks  stage 1   runtime   namespaces and mounts exist, pivot_root has not happened:
//	                                     runs prestart and createRuntime hooks in the runtime's
//	                                     namespaces, answers MsgHooksDone
//	MsgHooksDone     runtime   stage 1   runs createContainer hooks and carries on
//	MsgSeccompProgram stage 1  runtime   create: linux.seccomp compiled to BPF, as a 4-byte LE
//	                                     seccomp(2) flags word and the program; the runtime
//	                                     keeps it in the state directory for the execs to come
//	                                     (the runtime has no libseccomp). Not answered
//	MsgReady         finisher  runtime   create: the process's identity is applied and it is not
//	                 (stage 1)           running; the runtime writes the state and pid file,
//	                                     then answers MsgCommitted. Stage 1 sends it instead
//	                                     when it keeps the start for startContainer hooks.
//	                                     exec through stage 1: the runtime moves it into a
//	                                     paused container's freezer cgroup (stage 0 joined the
//	                                     others) and answers MsgCommitted
//	MsgCommitted     runtime   finisher  create: the state is on disk: the finisher waits for
//	                           (stage 1) start. If the socket closes without it, the runtime
//	                                     failed, and the init exits so that nothing is left.
//	                                     exec: stage 1 executes the finisher; the runtime
//	                                     waits for EOF (the socket is close-on-exec), except in
//	                                     a paused container, where stage 1 is frozen by now
//	MsgSeccompFd     finisher  runtime   carries the seccomp notify fd (SCM_RIGHTS, empty payload)
//	                                     once the filter is loaded; the runtime (create when the
//	                                     filter is loaded before the uid switch, else start or
//	                                     exec) forwards it to linux.seccomp.listenerPath. The
//	                                     init does not talk to the listener itself: its own
//	                                     syscalls are already filtered
//	MsgError         any       runtime   the payload is the error text; the sender exits non-zero.
//	                                     The runtime fails the operation with exactly this text
//
// # The create/start barrier
//
// No runtime process stays alive between create and start. Before starting
// stage 0 the runtime binds a listening unix socket at <state dir>/start.sock
// and hands stage 1 the listening fd ([InitConfig].StartFd), which passes it
// on to the finisher. After MsgCommitted the finisher blocks in accept(2)
// on it. "ocirun start" connects, and the connection then speaks this same
// framing: the finisher lowers the rlimits, loads the seccomp filter when
// no_new_privs lets it come last, may send MsgSeccompFd, and execs the
// process. If any of that fails it sends MsgError and exits; on success the
// connection closes on exec, so start sees EOF. The socket file exists
// exactly while the container is "created"; start removes it. "ocirun run"
// goes the same way: create, then start at once.
package initproto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
)

// InitBinary is the file name of the container init's binary, which lives
// next to the runtime's (cmd/ocirun-init).
const InitBinary = "ocirun-init"

// ExecBinary is the file name of the finisher's binary (cmd/ocirun-exec),
// which is also stage 0 of an exec with a [Plan]: C without Go or glibc,
// which start slowly.
const ExecBinary = "ocirun-exec"

// SeccompSupportArg is the one argument with which the init binary prints
// [seccomp.Support] as JSON instead of acting as an init.
const SeccompSupportArg = "seccomp-support"

// MsgType identifies a message on the sync socket.
type MsgType uint8

var msgNames = map[MsgType]string{
	MsgBootstrap: "bootstrap", MsgMapIDs: "map-ids", MsgIDsMapped: "ids-mapped",
	MsgStage1Pid: "stage1-pid", MsgConfig: "config", MsgRuntimeHooks: "runtime-hooks",
	MsgHooksDone: "hooks-done", MsgReady: "ready", MsgCommitted: "committed", MsgError: "error", MsgSeccompFd: "seccomp-fd",
	MsgSeccompProgram: "seccomp-program", MsgProcMount: "proc-mount", MsgBuilt: "built",
}

func (t MsgType) String() string {
	if n, ok := msgNames[t]; ok {
		return n
	}
	return fmt.Sprintf("message type %d", uint8(t))
}

// maxPayload bounds what a peer may make us allocate.
const maxPayload = 16 << 20

// ErrPeerClosed is returned when the other side closed the socket where a
// message was expected: it died, or (for exec) it execve'd.
var ErrPeerClosed = errors.New("sync socket closed by peer")

// Conn is one end of the sync socket.
type Conn struct {
	f *os.File
	// fds holds fds that arrived with SCM_RIGHTS and were not taken yet.
	fds []int
}

// NewConn wraps an open sync socket.
func NewConn(f *os.File) *Conn { return &Conn{f: f} }

// File returns the underlying socket.
func (c *Conn) File() *os.File { return c.f }

// Close closes the socket.
func (c *Conn) Close() error { return c.f.Close() }

// Send writes one message.
func (c *Conn) Send(t MsgType, payload []byte) error {
	buf := make([]byte, 5+len(payload))
	binary.LittleEndian.PutUint32(buf, uint32(len(payload)))
	buf[4] = byte(t)
	copy(buf[5:], payload)
	if _, err := c.f.Write(buf); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// SendJSON writes one message whose payload is v encoded as JSON.
func (c *Conn) SendJSON(t MsgType, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t, err)
	}
	return c.Send(t, b)
}

// SendError reports err to the runtime; the caller exits afterwards.
func (c *Conn) SendError(err error) error {
	return c.Send(MsgError, []byte(err.Error()))
}

// SendFd writes one message with an empty payload that carries fd.
func (c *Conn) SendFd(t MsgType, fd int) error {
	var hdr [5]byte
	hdr[4] = byte(t)
	if _, err := c.sendmsg(hdr[:], unix.UnixRights(fd)); err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// sendmsg and recvmsg go through the file's RawConn rather than its Fd:
// Fd would put a non-blocking socket back into blocking mode. The
// runtime's end is non-blocking, so that its waits park in the poller
// instead of holding a thread in a system call, which the Go scheduler's
// monitor thread then polls every 20 us for as long as it lasts. The
// init's end is blocking; there the functions run once.
func (c *Conn) sendmsg(p, oob []byte) (n int, err error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return 0, err
	}
	if werr := rc.Write(func(fd uintptr) bool {
		n, err = unix.SendmsgN(int(fd), p, oob, nil, 0)
		return !errors.Is(err, unix.EAGAIN)
	}); werr != nil {
		return 0, werr
	}
	return n, err
}

func (c *Conn) recvmsg(p, oob []byte) (n, oobn int, err error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	if rerr := rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, err = unix.Recvmsg(int(fd), p, oob, unix.MSG_CMSG_CLOEXEC)
		return !errors.Is(err, unix.EAGAIN)
	}); rerr != nil {
		return 0, 0, rerr
	}
	return n, oobn, err
}

// MaxFdsPerMsg is the most fds one message carries (the kernel's
// SCM_MAX_FD).
const MaxFdsPerMsg = 253

// SendJSONFds is SendJSON with fds attached (SCM_RIGHTS); the receiver
// takes them with TakeFd, in this order.
func (c *Conn) SendJSONFds(t MsgType, v any, fds []int) error {
	if len(fds) == 0 {
		return c.SendJSON(t, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", t, err)
	}
	return c.SendFds(t, b, fds)
}

// SendFds is Send with fds attached (SCM_RIGHTS).
func (c *Conn) SendFds(t MsgType, payload []byte, fds []int) error {
	if len(fds) > MaxFdsPerMsg {
		return fmt.Errorf("send %s: %d fds, at most %d fit in one message", t, len(fds), MaxFdsPerMsg)
	}
	buf := make([]byte, 5+len(payload))
	binary.LittleEndian.PutUint32(buf, uint32(len(payload)))
	buf[4] = byte(t)
	copy(buf[5:], payload)
	// The fds travel with the first byte; the rest of a large payload may
	// need more writes.
	n, err := c.sendmsg(buf, unix.UnixRights(fds...))
	if err == nil && n < len(buf) {
		_, err = c.f.Write(buf[n:])
	}
	if err != nil {
		return fmt.Errorf("send %s: %w", t, err)
	}
	return nil
}

// TakeFd returns an fd received with the last message, or -1. The caller
// owns it.
func (c *Conn) TakeFd() int {
	if len(c.fds) == 0 {
		return -1
	}
	fd := c.fds[0]
	c.fds = c.fds[1:]
	return fd
}

// readHeader reads the 5-byte header with recvmsg, so that an fd sent
// along with a message is received instead of dropped.
func (c *Conn) readHeader(hdr []byte) error {
	oob := make([]byte, unix.CmsgSpace(4*MaxFdsPerMsg))
	got := 0
	for got < len(hdr) {
		n, oobn, err := c.recvmsg(hdr[got:], oob)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if oobn > 0 {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil {
				return fmt.Errorf("parse control message: %w", err)
			}
			for i := range msgs {
				fds, err := unix.ParseUnixRights(&msgs[i])
				if err == nil {
					c.fds = append(c.fds, fds...)
				}
			}
		}
		if n == 0 {
			if got == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		got += n
	}
	return nil
}

// Recv reads one message. A clean EOF before a header is ErrPeerClosed.
func (c *Conn) Recv() (MsgType, []byte, error) {
	var hdr [5]byte
	if err := c.readHeader(hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, unix.ECONNRESET) {
			return 0, nil, ErrPeerClosed
		}
		return 0, nil, fmt.Errorf("read sync message header: %w", err)
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n > maxPayload {
		return 0, nil, fmt.Errorf("sync protocol: %s with a payload of %d bytes (at most %d)", MsgType(hdr[4]), n, maxPayload)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(c.f, payload); err != nil {
		return 0, nil, fmt.Errorf("read %s payload: %w", MsgType(hdr[4]), err)
	}
	return MsgType(hdr[4]), payload, nil
}

// RemoteError is an error a stage reported with MsgError. Its text is
// complete: callers return it without adding context, so the last line a
// user sees names the real cause.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }

// Expect reads one message and requires it to be of type want. A MsgError
// becomes a *RemoteError.
func (c *Conn) Expect(want MsgType) ([]byte, error) {
	t, payload, err := c.Recv()
	if err != nil {
		return nil, err
	}
	if t == MsgError {
		return nil, &RemoteError{Msg: string(payload)}
	}
	if t != want {
		return nil, fmt.Errorf("sync protocol: expected %s, got %s", want, t)
	}
	return payload, nil
}

// ExpectJSON is Expect followed by decoding the payload into v.
func (c *Conn) ExpectJSON(want MsgType, v any) error {
	payload, err := c.Expect(want)
	if err != nil {
		return err
	}
	fast, _ := v.(jsonfast.Decoder)
	if err := jsonfast.Unmarshal(payload, v, fast); err != nil {
		return fmt.Errorf("decode %s: %w", want, err)
	}
	return nil
}

// Mode says what stage 1 is for.
type Mode string

const (
	// ModeInit builds a new container and waits for start.
	ModeInit Mode = "init"
	// ModeExec runs one more process in an existing container.
	ModeExec Mode = "exec"
)

// ForStage1 is cfg without what stage 1 never reads: Cgroups (the runtime
// applies them; stage 1 mounts cgroupfs from CgroupPaths) and Process
// (InitConfig.Process carries it). Stage 1 decodes its config with
// encoding/json in a fresh process, where each type met for the first time
// costs far more than its bytes: the device rules of a default config were
// a third of the payload.
func ForStage1(cfg *configs.Config) *configs.Config {
	sent := *cfg
	sent.Cgroups = nil
	sent.Process = nil
	return &sent
}

// InitConfig is the payload of MsgConfig. Stage 1 decodes it with
// generated code (see package jsonfast); after changing it or the configs
// types: go generate ./libcontainer/initproto
//
//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename initconfig_easyjson.go initproto.go
//go:generate go run github.com/ocirun/ocirun/libcontainer/jsonfast/easyjsontrim initconfig_easyjson.go
//easyjson:json
type InitConfig struct {
	Mode        Mode   `json:"mode"`
	ContainerID string `json:"id"`
	Bundle      string `json:"bundle"`
	// Config is the container config (ModeInit) or the parts exec needs:
	// namespaces and sysctl are ignored there. It goes without Cgroups
	// and Process ([ForStage1]).
	Config *configs.Config `json:"config"`
	// Process is the process to exec: Config.Process for init, the exec'd
	// process for exec.
	Process *configs.Process `json:"process"`

	// Rootless: the runtime lacks root on the host, so devices cannot
	// be created even without a user namespace in the config (the
	// runtime's own is someone else's, as rootless podman's).
	Rootless    bool `json:"rootless,omitempty"`
	NoPivotRoot bool `json:"no_pivot_root,omitempty"`
	// PreserveFds counts the fds from 3 up that pass to the user process.
	PreserveFds int `json:"preserve_fds,omitempty"`
	// ConsoleFd is a connected unix socket on which stage 1 sends the pty
	// master (SCM_RIGHTS) when Process.Terminal is set; -1 when absent.
	ConsoleFd int `json:"console_fd"`
	// StartFd is the listening start socket (ModeInit); -1 for exec.
	StartFd int `json:"start_fd"`
	// FinisherFd is the sealed [ExecBinary], which stage 1 executes as
	// the finisher (see [Plan]).
	FinisherFd int `json:"finisher_fd"`
	// MountFds maps the index of an id-mapped mount in Config.Mounts to
	// the position, among the fds that came with MsgConfig (SCM_RIGHTS), of
	// its detached tree, which the runtime built with the mapping applied;
	// stage 1 moves it into place (move_mount) instead of binding the
	// source.
	MountFds map[int]int `json:"mount_fds,omitempty"`
	// CgroupPaths maps each v1 controller (or "" for cgroup2) to the
	// container's cgroup directory on the host, for "cgroup" mounts.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	// State is the runtime-spec state handed to createContainer and
	// startContainer hooks on stdin.
	State json.RawMessage `json:"state,omitempty"`
}
