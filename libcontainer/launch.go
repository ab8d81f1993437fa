package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/slack"
	"github.com/ocirun/ocirun/libcontainer/userns"
)

// Stdio is what the container's process gets as fds 0, 1 and 2.
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

func (s Stdio) orDefault() Stdio {
	if s.Stdin == nil {
		s.Stdin = os.Stdin
	}
	if s.Stdout == nil {
		s.Stdout = os.Stdout
	}
	if s.Stderr == nil {
		s.Stderr = os.Stderr
	}
	return s
}

// launch is a process started through the two init stages, seen from the
// runtime: stage 0 first, then stage 1 once stage 0 has reported its pid.
type launch struct {
	stage0Pid int
	conn      *initproto.Conn
	stage0Ok  bool // stage 0 was reaped
	stage1Pid int
}

// nsFlags maps namespace types to their clone(2) flags.
var nsFlags = map[configs.NamespaceType]uint32{
	configs.NEWNS:     unix.CLONE_NEWNS,
	configs.NEWUTS:    unix.CLONE_NEWUTS,
	configs.NEWIPC:    unix.CLONE_NEWIPC,
	configs.NEWNET:    unix.CLONE_NEWNET,
	configs.NEWPID:    unix.CLONE_NEWPID,
	configs.NEWUSER:   unix.CLONE_NEWUSER,
	configs.NEWCGROUP: unix.CLONE_NEWCGROUP,
	configs.NEWTIME:   unix.CLONE_NEWTIME,
}

// setPlacement puts the memory policy of the container and the exec CPU
// affinity of the process (nil for the init) into b; stage 0 applies both.
func setPlacement(b *initproto.Bootstrap, mp *configs.MemoryPolicy, aff *configs.CPUAffinity) {
	if mp != nil {
		b.HasMemPolicy, b.MemPolicy, b.MemNodes = true, uint32(mp.Mode|mp.Flags), mp.Nodes
	}
	if aff != nil {
		b.CPUsInitial, b.CPUsFinal = aff.Initial, aff.Final
	}
}

// bootstrapFor says what stage 0 must join and create for these namespaces.
func bootstrapFor(namespaces []configs.Namespace, uidMap, gidMap []configs.IDMap, offsets map[string]configs.TimeOffset) (*initproto.Bootstrap, error) {
	b := &initproto.Bootstrap{}
	for _, ns := range namespaces {
		flag, ok := nsFlags[ns.Type]
		if !ok {
			return nil, fmt.Errorf("unknown namespace type %q", ns.Type)
		}
		if ns.Path != "" {
			b.Join = append(b.Join, initproto.JoinNamespace{Flag: flag, Path: ns.Path})
			if ns.Type == configs.NEWUSER {
				b.BecomeRoot = true
			}
		} else {
			b.CloneFlags |= flag
		}
	}
	if b.CloneFlags&unix.CLONE_NEWUSER != 0 {
		b.BecomeRoot = mapsID0(uidMap) && mapsID0(gidMap)
	}
	if len(offsets) > 0 {
		var sb strings.Builder
		for _, clock := range []string{"monotonic", "boottime"} {
			if o, ok := offsets[clock]; ok {
				fmt.Fprintf(&sb, "%s %d %d\n", clock, o.Secs, o.Nanosecs)
			}
		}
		b.TimeOffsets = sb.String()
	}
	return b, nil
}

func mapsID0(m []configs.IDMap) bool {
	for _, r := range m {
		if r.ContainerID == 0 && r.Size > 0 {
			return true
		}
	}
	return false
}

func formatIDMap(m []configs.IDMap) []byte {
	var sb strings.Builder
	for _, r := range m {
		fmt.Fprintf(&sb, "%d %d %d\n", r.ContainerID, r.HostID, r.Size)
	}
	return []byte(sb.String())
}

// startStage0 executes binary (initproto.InitBinary, or ExecBinary for an
// exec with a plan and for a container the runtime builds) as stage 0,
// with the fds laid out as initproto.ChildFds says: extra[i] becomes
// ChildFds.Extra(i). b is the bootstrap the caller sends next; its PID
// namespace may be created here (pidNamespaceAtClone). smallHeap keeps
// stage 1 small in the container's memory cgroup: its Go heap in 4 KiB
// pages, its binary not populated (package prefault says when).
func startStage0(binary string, b *initproto.Bootstrap, stdio Stdio, preserved []*os.File, extra []*os.File, smallHeap bool) (*launch, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create sync socket: %w", err)
	}
	// Non-blocking, so that os.NewFile hands it to the poller (see
	// initproto.Conn.recvmsg).
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("create sync socket: %w", err)
	}
	parentEnd := os.NewFile(uintptr(fds[0]), "sync-parent")
	childEnd := os.NewFile(uintptr(fds[1]), "sync-child")
	defer childEnd.Close()

	exe, err := sealedBinary(binary)
	if err != nil {
		parentEnd.Close()
		return nil, err
	}
	defer exe.Close()

	stdio = stdio.orDefault()
	files := []uintptr{stdio.Stdin.Fd(), stdio.Stdout.Fd(), stdio.Stderr.Fd()}
	for _, f := range preserved {
		files = append(files, f.Fd())
	}
	files = append(files, childEnd.Fd())
	for _, f := range extra {
		files = append(files, f.Fd())
	}
	syncFd := initproto.ChildFds{Preserve: len(preserved)}.Sync()
	// The binary is passed as the child's last fd and exec'd by that
	// number: the runtime's own number for it could be one that the fd
	// shuffle before exec has reused.
	files = append(files, exe.Fd())
	exePath := "/proc/self/fd/" + strconv.Itoa(len(files)-1)
	// One P for stage 1's Go runtime: its work is one sequence on its
	// locked main thread, and a second P only made the runtime start
	// threads to run it (from the locked thread, by way of the runtime's
	// template thread), which the kernel must end again when stage 1
	// executes the finisher. Hooks and the container's process get
	// environments of their own, not this one.
	env := []string{initproto.SyncFdEnv + "=" + strconv.Itoa(syncFd), "GOMAXPROCS=1"}
	if smallHeap {
		env = append(env, initproto.SmallHeapEnv+"=1")
	}
	// syscall.ForkExec rather than os/exec: the latter probes pidfd
	// support with an extra fork in every process that starts a child.
	sys := &syscall.SysProcAttr{Cloneflags: pidNamespaceAtClone(b)}
	var pid int
	err = slack.Start(func() (err error) {
		pid, err = syscall.ForkExec(exePath, []string{binary}, &syscall.ProcAttr{
			Env:   env,
			Files: files,
			Sys:   sys,
		})
		return err
	})
	if err != nil {
		parentEnd.Close()
		if sys.Cloneflags == 0 {
			return nil, fmt.Errorf("start container init: %w", err)
		}
		// Go reports the clone's error and the exec's alike; only the
		// clone's limit on PID namespaces answers ENOSPC.
		hint := ""
		if errors.Is(err, unix.ENOSPC) {
			hint = " (the limit of PID namespaces, /proc/sys/user/max_pid_namespaces, is reached)"
		}
		return nil, fmt.Errorf("start container init in a new pid namespace: %w%s", err, hint)
	}
	Timer.Mark("prepare")
	return &launch{stage0Pid: pid, conn: initproto.NewConn(parentEnd)}, nil
}

// pidNamespaceAtClone moves the creation of b's new PID namespace, if it
// has one, from stage 0 to the clone that starts stage 0, and returns the
// clone flag for it. Stage 0 is then the PID namespace's first process and
// needs no child to enter it, so it becomes stage 1 itself: one process
// fewer to start and end per container. A PID namespace belongs to the
// user namespace of the process that creates it, so with a user namespace
// (new or joined) stage 0 keeps creating it after that one; and a time
// namespace needs a child anyway, which must not end up as the PID
// namespace's second process.
func pidNamespaceAtClone(b *initproto.Bootstrap) uintptr {
	const userOrTime = unix.CLONE_NEWUSER | unix.CLONE_NEWTIME
	if b.CloneFlags&unix.CLONE_NEWPID == 0 || b.CloneFlags&userOrTime != 0 {
		return 0
	}
	for _, j := range b.Join {
		if j.Flag&userOrTime != 0 {
			return 0
		}
	}
	b.CloneFlags &^= unix.CLONE_NEWPID
	return unix.CLONE_NEWPID
}

// waitStage0 reaps stage 0 and reports how it ended.
func (l *launch) waitStage0() error {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(l.stage0Pid, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		l.stage0Ok = true
		if err != nil {
			return fmt.Errorf("wait for container init stage 0: %w", err)
		}
		if ws.Exited() && ws.ExitStatus() == 0 {
			return nil
		}
		return errors.New(describeWait(ws))
	}
}

// bootstrap drives stage 0 to the point where stage 1 exists, writing the
// ID maps when asked.
func (l *launch) bootstrap(b *initproto.Bootstrap, uidMap, gidMap []configs.IDMap) error {
	if err := l.conn.Send(initproto.MsgBootstrap, b.Encode()); err != nil {
		return l.diedErr(err)
	}
	for {
		t, payload, err := l.conn.Recv()
		if err != nil {
			return l.diedErr(err)
		}
		switch t {
		case initproto.MsgMapIDs:
			if err := writeIDMaps(l.stage0Pid, uidMap, gidMap); err != nil {
				return err
			}
			if err := l.conn.Send(initproto.MsgIDsMapped, nil); err != nil {
				return l.diedErr(err)
			}
		case initproto.MsgStage1Pid:
			pid, err := initproto.Stage1Pid(payload)
			if err != nil {
				return err
			}
			if pid == 0 {
				// Stage 0 needed no child and is stage 1 itself.
				l.stage1Pid, l.stage0Ok = l.stage0Pid, true
			} else {
				l.stage1Pid = pid
				// Stage 0 exits right after; reaping it makes stage
				// 1 our child (we are a subreaper).
				if err := l.waitStage0(); err != nil {
					return fmt.Errorf("container init stage 0: %w", err)
				}
			}
			Timer.Mark("stage 0")
			return nil
		case initproto.MsgError:
			return &initproto.RemoteError{Msg: string(payload)}
		default:
			return fmt.Errorf("sync protocol: unexpected %s from stage 0", t)
		}
	}
}

// writeIDMaps writes the ID maps of the user namespace of stage 0 (pid).
// Root writes any map directly. Anyone else may write only a map of a
// single id, their own, and a gid map only after denying setgroups; other
// maps go through the setuid helpers newuidmap and newgidmap, which allow
// the ranges /etc/subuid and /etc/subgid give the user.
func writeIDMaps(pid int, uidMap, gidMap []configs.IDMap) error {
	if err := writeIDMap(pid, idMapFiles[0], uidMap); err != nil {
		return err
	}
	return writeIDMap(pid, idMapFiles[1], gidMap)
}

type idMapFile struct {
	file, helper, field string
	ownID               func() int
	subIDs, usermodFlag string // where the helper finds the user's ranges
}

var idMapFiles = [2]idMapFile{
	{"uid_map", "newuidmap", "linux.uidMappings", os.Geteuid, "/etc/subuid", "--add-subuids"},
	{"gid_map", "newgidmap", "linux.gidMappings", os.Getegid, "/etc/subgid", "--add-subgids"},
}

func writeIDMap(pid int, f idMapFile, ids []configs.IDMap) error {
	proc := "/proc/" + strconv.Itoa(pid) + "/"
	err := os.WriteFile(proc+f.file, formatIDMap(ids), 0)
	if err == nil || !errors.Is(err, unix.EPERM) {
		return wrapIDMapErr(f, ids, err)
	}
	if len(ids) == 1 && ids[0].Size == 1 && int(ids[0].HostID) == f.ownID() {
		if f.file != "gid_map" {
			return wrapIDMapErr(f, ids, err)
		}
		// The process could otherwise drop a group that denies access
		// to files, which only the host's root may allow.
		if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			return wrapIDMapErr(f, ids, fmt.Errorf("deny setgroups: %w", err))
		}
		return wrapIDMapErr(f, ids, os.WriteFile(proc+f.file, formatIDMap(ids), 0))
	}
	helper, lerr := exec.LookPath(f.helper)
	if lerr != nil {
		return wrapIDMapErr(f, ids, fmt.Errorf("%w, and mapping other ids than your own needs %s (Debian package uidmap): %w", err, f.helper, lerr))
	}
	args := []string{strconv.Itoa(pid)}
	for _, r := range ids {
		args = append(args, strconv.FormatUint(uint64(r.ContainerID), 10), strconv.FormatUint(uint64(r.HostID), 10), strconv.FormatUint(uint64(r.Size), 10))
	}
	out, err := exec.Command(helper, args...).CombinedOutput()
	if err != nil {
		if msg := strings.Join(strings.Fields(string(out)), " "); msg != "" {
			err = errors.New(msg)
		}
		return wrapIDMapErr(f, ids, fmt.Errorf("%w; %s", err, subIDHint(f)))
	}
	return nil
}

// subIDHint says what the helper allows the runtime's user: the ranges
// of /etc/subuid (or subgid), or how to get one.
func subIDHint(f idMapFile) string {
	name := userns.CallerName()
	n, err := userns.SubIDCount(f.subIDs, name, os.Geteuid())
	switch {
	case err != nil:
		return fmt.Sprintf("read %s: %v", f.subIDs, err)
	case n == 0:
		return fmt.Sprintf("%s has no range in %s: add one (usermod %s 100000-165535 %s)", name, f.subIDs, f.usermodFlag, name)
	}
	return fmt.Sprintf("%s gives %s %d ids: map only ids of its ranges", f.subIDs, name, n)
}

// wrapIDMapErr names the map that err refused, in the id:host:size
// notation of podman's --uidmap.
func wrapIDMapErr(f idMapFile, ids []configs.IDMap, err error) error {
	if err == nil {
		return nil
	}
	ranges := make([]string, len(ids))
	for i, r := range ids {
		ranges[i] = fmt.Sprintf("%d:%d:%d", r.ContainerID, r.HostID, r.Size)
	}
	return fmt.Errorf("write %s of the container's user namespace (%s %s): %w", f.file, f.field, strings.Join(ranges, ","), err)
}

// diedErr turns a broken sync socket into an error that says how the init
// ended, instead of "EOF".
func (l *launch) diedErr(cause error) error {
	if !errors.Is(cause, initproto.ErrPeerClosed) && !errors.Is(cause, unix.EPIPE) && !errors.Is(cause, unix.ECONNRESET) {
		return cause
	}
	if !l.stage0Ok {
		if err := l.waitStage0(); err != nil {
			return fmt.Errorf("container init exited before it was set up: %w", err)
		}
	}
	if l.stage1Pid > 0 {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(l.stage1Pid, &ws, 0, nil); err == nil {
			l.stage1Pid = 0
			return fmt.Errorf("container init exited before it was set up: %s", describeWait(ws))
		}
	}
	return errors.New("container init exited before it was set up")
}

// kill ends whatever the launch left running and reaps it.
func (l *launch) kill() {
	if !l.stage0Ok {
		unix.Kill(l.stage0Pid, unix.SIGKILL)
		l.waitStage0()
	}
	if l.stage1Pid > 0 {
		unix.Kill(l.stage1Pid, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(l.stage1Pid, &ws, 0, nil)
		l.stage1Pid = 0
	}
	l.conn.Close()
}

func describeWait(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		return "killed by signal " + ws.Signal().String()
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// ExitCode converts a wait status into a shell-style exit code.
func ExitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// InitPath is where the init binary is: next to the runtime's own (the
// file it runs from, symlinks resolved), as make install puts them.
func InitPath() (string, error) { return helperPath(initproto.InitBinary) }

// helperPath is where one of the binaries installed with ocirun is.
func helperPath(name string) (string, error) {
	self, err := executable()
	if err != nil {
		return "", fmt.Errorf("find the runtime binary: %w", err)
	}
	return filepath.Join(filepath.Dir(self), name), nil
}

// executable is os.Executable, read once: create needs it for the init and
// for the finisher.
var executable = sync.OnceValues(os.Executable)

// sealedBinary returns the binary named name (see helperPath) on a
// private, read-only, detached bind mount. The init runs from it, so a
// container that reaches the binary through /proc/<init pid>/exe can read
// it but never open it for writing (EROFS) and overwrite the host's copy
// (CVE-2019-5736). Unlike copying the binary into a sealed memfd, this
// costs two syscalls; a runtime without CAP_SYS_ADMIN over its mount
// namespace (rootless) cannot make the mount and pays for the copy.
func sealedBinary(name string) (*os.File, error) {
	path, err := helperPath(name)
	if err != nil {
		return nil, err
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if errors.Is(err, unix.EPERM) {
		return sealedCopy(path, name)
	}
	if err != nil {
		return nil, fmt.Errorf("open_tree of %s (it is built and installed with ocirun): %w", path, err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the mount of %s read-only: %w", path, err)
	}
	return os.NewFile(uintptr(fd), name+"-exe"), nil
}

// sealedCopy copies the binary at path into a memfd sealed against every
// change: what the container could open through /proc/<pid>/exe is that
// copy, which refuses writes (EPERM), and never the host's file.
func sealedCopy(path, name string) (*os.File, error) {
	// MFD_EXEC: a host whose vm.memfd_noexec makes memfds non-executable
	// by default still lets this one run; kernels before 6.3 lack the
	// flag (EINVAL) and have no such default.
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd for a sealed copy of %s: %w", path, err)
	}
	dst := os.NewFile(uintptr(fd), name+"-exe")
	src, err := os.Open(path)
	if err != nil {
		dst.Close()
		return nil, fmt.Errorf("open %s (it is built and installed with ocirun): %w", path, err)
	}
	_, err = io.Copy(dst, src)
	src.Close()
	if err != nil {
		dst.Close()
		return nil, fmt.Errorf("copy %s into a memfd: %w", path, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(dst.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return nil, fmt.Errorf("seal the copy of %s: %w", path, err)
	}
	return dst, nil
}
