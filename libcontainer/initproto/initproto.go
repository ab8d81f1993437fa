// Package initproto is the one place that defines how the runtime talks to
// the processes it starts inside a container. Both the container's init (for
// create) and a process started by exec go through the same two stages:
//
//	runtime (ocirun create/run/exec, the "parent")
//	   │ executes the init binary (ocirun-init, next to its own, from a
//	   │ read-only mount of it) with the sync socket as fd $_OCIRUN_SYNC_FD
//	   ▼
//	stage 0 — C code in package nsenter, run as a constructor before the Go
//	   │ runtime exists, so the process is still single-threaded and may
//	   │ setns(2) into user and mount namespaces. It sets its CPU affinity
//	   │ and moves itself into the container's cgroup (which the runtime
//	   │ created), sets the memory policy, joins namespaces by
//	   │ path, unshares the new ones (user first, so the rest are owned by
//	   │ it) and forks, so that the child lands in the new PID and time
//	   │ namespaces; the runtime, a child subreaper, adopts it when stage 0
//	   │ exits.
//	   ▼
//	stage 1 — Go code in package containerinit: builds the rootfs, applies
//	   │ the process's identity and confinement and reports readiness. For
//	   │ exec it then execs the process.
//	   ▼
//	waiter — (create only) C code in package nsenter again: stage 1
//	     executes ocirun-exec ([InitConfig].WaiterFd) as the start waiter, which holds the
//	     created container without a Go runtime until "ocirun start", then
//	     execs the user process ([WaitPlan]).
//
// An exec whose process needs nothing of Go ([ExecPlan]) skips stage 1: the
// plan travels in MsgBootstrap, and stage 0's child applies it in C at once,
// then execs. Stage 0 is then [ExecBinary], the same C without Go. The runtime sees MsgStage1Pid, then what it sees of a stage 1
// exec after MsgCommitted (EOF, MsgError or MsgSeccompFd).
//
// # Framing
//
// Every message on the sync socket (a SOCK_STREAM socketpair) is a 4-byte
// little-endian payload length, a 1-byte message type, then the payload.
// Payloads are JSON in stage 1; stage 0 speaks binary so the C side needs no
// parser beyond the attribute list described at [Bootstrap].
//
// # Messages
//
//	message          sender   receiver  what the receiver does
//	---------------  -------  --------  -------------------------------------------------------
//	MsgBootstrap     runtime  stage 0   joins the cgroup, joins/creates namespaces as listed
//	                                    ([Bootstrap])
//	MsgMapIDs        stage 0  runtime   writes the child's uid_map, gid_map; answers MsgIDsMapped
//	MsgIDsMapped     runtime  stage 0   becomes root in the new user namespace, unshares the rest
//	MsgStage1Pid     stage 0  runtime   records the host pid of stage 1 (4-byte LE payload);
//	                                    stage 0 exits 0 right after sending it. With an
//	                                    [ExecPlan] the runtime then waits as for exec after
//	                                    MsgCommitted below
//	MsgConfig        runtime  stage 1   decodes [InitConfig] and starts building the container
//	MsgRuntimeHooks  stage 1  runtime   namespaces and mounts exist, pivot_root has not happened:
//	                                    runs prestart and createRuntime hooks in the runtime's
//	                                    namespaces, answers MsgHooksDone
//	MsgHooksDone     runtime  stage 1   runs createContainer hooks and carries on
//	MsgReady         stage 1  runtime   create: the container is built and the user process is
//	                                    not running; the runtime writes the state and pid file,
//	                                    then answers MsgCommitted.
//	                                    exec: stage 1 is ready to apply the process settings; the
//	                                    runtime moves it into a paused container's freezer
//	                                    cgroup (stage 0 joined the others) and answers
//	                                    MsgCommitted
//	MsgCommitted     runtime  stage 1   create: the state is on disk: stage 1 becomes the start
//	                                    waiter. If the socket closes without it, the runtime
//	                                    failed, and stage 1 exits so that nothing is left behind.
//	                                    exec: stage 1 applies the settings and execs; the runtime
//	                                    waits for EOF (the socket is close-on-exec), except in a
//	                                    paused container, where stage 1 is frozen by now
//	MsgSeccompFd     stage 1  runtime   carries the seccomp notify fd (SCM_RIGHTS, empty payload)
//	                 waiter             once the filter is loaded; the runtime (create when the
//	                                    filter is loaded before the uid switch, else start or
//	                                    exec) forwards it to linux.seccomp.listenerPath. The init
//	                                    does not talk to the listener itself: its own syscalls
//	                                    are already filtered, and may be ones the listener handles
//	MsgSeccompProgram stage 1 runtime   create: linux.seccomp compiled to BPF (without a notify
//	                                    rule), as a 4-byte LE seccomp(2) flags word and the
//	                                    program; the runtime keeps it in the state directory,
//	                                    and an exec plan loads it (the runtime has no
//	                                    libseccomp). Sent before MsgReady, not answered
//	MsgError         any stage runtime  the payload is the error text; the sender exits non-zero.
//	                                    The runtime fails the operation with exactly this text
//
// # The create/start barrier
//
// No runtime process stays alive between create and start. Before starting
// stage 0 the runtime binds a listening unix socket at <state dir>/start.sock
// and hands stage 1 the listening fd ([InitConfig].StartFd). After
// MsgCommitted the start waiter blocks in accept(2) on it. "ocirun start"
// connects, and the connection then speaks this same framing: the waiter
// applies the final rlimits and, when no_new_privs lets it come last, the
// seccomp filter, may send MsgSeccompFd, and execs the user process. If any
// of that fails it sends MsgError and exits; on success the connection
// closes on exec, so start sees EOF. The socket file exists exactly while
// the container is "created"; start removes it.
//
// When something must still happen in Go after start (startContainer
// hooks), or the waiter's exec would be disturbed (an LSM label, a seccomp
// filter loaded before the uid switch), stage 1 does the waiter's part
// itself, in Go. So it does for "ocirun run" ([InitConfig].NoWaiter): start
// follows at once, and the waiter's exec would only add latency.
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
)

// InitBinary is the file name of the container init's binary, which lives
// next to the runtime's (cmd/ocirun-init).
const InitBinary = "ocirun-init"

// ExecBinary is the file name of the binary that is stage 0 of an exec with
// an [ExecPlan] and the start waiter (cmd/ocirun-exec): the same C as the
// init binary's, without Go or glibc, which start slowly.
const ExecBinary = "ocirun-exec"

// SeccompSupportArg is the one argument with which the init binary prints
// [seccomp.Support] as JSON instead of acting as an init.
const SeccompSupportArg = "seccomp-support"

// SyncFdEnv names the environment variable that carries the sync socket's fd
// number into "ocirun-init". Its presence is what makes stage 0 run.
const SyncFdEnv = "_OCIRUN_SYNC_FD"

// MsgType identifies a message on the sync socket.
type MsgType uint8

// Message types; see the package documentation for who sends each one.
const (
	MsgBootstrap      MsgType = 1
	MsgMapIDs         MsgType = 2
	MsgIDsMapped      MsgType = 3
	MsgStage1Pid      MsgType = 4
	MsgConfig         MsgType = 5
	MsgRuntimeHooks   MsgType = 6
	MsgHooksDone      MsgType = 7
	MsgReady          MsgType = 8
	MsgCommitted      MsgType = 9
	MsgError          MsgType = 10
	MsgSeccompFd      MsgType = 11
	MsgSeccompProgram MsgType = 12
)

var msgNames = map[MsgType]string{
	MsgBootstrap: "bootstrap", MsgMapIDs: "map-ids", MsgIDsMapped: "ids-mapped",
	MsgStage1Pid: "stage1-pid", MsgConfig: "config", MsgRuntimeHooks: "runtime-hooks",
	MsgHooksDone: "hooks-done", MsgReady: "ready", MsgCommitted: "committed", MsgError: "error", MsgSeccompFd: "seccomp-fd",
	MsgSeccompProgram: "seccomp-program",
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
	if err := unix.Sendmsg(int(c.f.Fd()), hdr[:], unix.UnixRights(fd), nil, 0); err != nil {
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
	oob := make([]byte, unix.CmsgSpace(4*4))
	got := 0
	for got < len(hdr) {
		n, oobn, _, _, err := unix.Recvmsg(int(c.f.Fd()), hdr[got:], oob, unix.MSG_CMSG_CLOEXEC)
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
		return 0, nil, fmt.Errorf("sync message %s: payload of %d bytes is too large", MsgType(hdr[4]), n)
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
	if err := json.Unmarshal(payload, v); err != nil {
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

// InitConfig is the payload of MsgConfig.
type InitConfig struct {
	Mode        Mode   `json:"mode"`
	ContainerID string `json:"id"`
	Bundle      string `json:"bundle"`
	// Config is the whole container config (ModeInit) or the parts exec
	// needs: namespaces, cgroups, sysctl are ignored there.
	Config *configs.Config `json:"config"`
	// Process is the process to exec: Config.Process for init, the exec'd
	// process for exec.
	Process *configs.Process `json:"process"`

	NoPivotRoot  bool `json:"no_pivot_root,omitempty"`
	NoNewKeyring bool `json:"no_new_keyring,omitempty"`
	// PreserveFds counts the fds from 3 up that pass to the user process.
	PreserveFds int `json:"preserve_fds,omitempty"`
	// ConsoleFd is a connected unix socket on which stage 1 sends the pty
	// master (SCM_RIGHTS) when Process.Terminal is set; -1 when absent.
	ConsoleFd int `json:"console_fd"`
	// StartFd is the listening start socket (ModeInit); -1 for exec.
	StartFd int `json:"start_fd"`
	// WaiterFd is the sealed [ExecBinary] (ModeInit), which stage 1
	// executes as the start waiter; -1 for exec.
	WaiterFd int `json:"waiter_fd"`
	// NoWaiter keeps stage 1 waiting for start itself: the runtime starts
	// the container right after create (ocirun run), so the start waiter's
	// exec would cost more than the memory it saves.
	NoWaiter bool `json:"no_waiter,omitempty"`
	// CgroupPaths maps each v1 controller (or "" for cgroup2) to the
	// container's cgroup directory on the host, for "cgroup" mounts.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	// State is the runtime-spec state handed to createContainer and
	// startContainer hooks on stdin.
	State json.RawMessage `json:"state,omitempty"`
}
