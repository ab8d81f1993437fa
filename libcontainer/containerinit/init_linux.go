// Package containerinit is stage 1 of the container init (the protocol and
// all roles are described in package initproto). It runs as "ocirun-init"
// inside the container's namespaces: stage 0's child (see initproto). For
// create it builds the root filesystem, runs the hooks that run inside the
// container, sets hostname, sysctls (package inside) and the terminal, compiles the seccomp
// filter, and then executes the finisher (ocirun-exec) with the process's
// plan: the finisher, not Go, applies the process's identity and
// confinement and waits for start. For an exec that needs Go (a terminal,
// a paused container) it sets up the terminal and hands off the same way.
package containerinit

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/hooks"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/inside"
	"github.com/ocirun/ocirun/libcontainer/rootfs"
)

// Main runs stage 1 and never returns: it execs the container's process or
// exits after reporting an error to the runtime.
func Main() {
	// Capabilities, the bounding set, no_new_privs and keepcaps belong to
	// a thread; the thread that sets them must be the one that execs.
	runtime.LockOSThread()

	fd, err := strconv.Atoi(os.Getenv(initproto.SyncFdEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ocirun init: bad %s: %v\n", initproto.SyncFdEnv, err)
		os.Exit(1)
	}
	conn := initproto.NewConn(os.NewFile(uintptr(fd), "sync"))
	var ic initproto.InitConfig
	if err := conn.ExpectJSON(initproto.MsgConfig, &ic); err != nil {
		// The runtime gave up on us (it closed the socket) or speaks
		// another protocol; there is nobody to report to but stderr.
		if !errors.Is(err, initproto.ErrPeerClosed) {
			fmt.Fprintln(os.Stderr, "ocirun init:", err)
		}
		os.Exit(1)
	}
	switch ic.Mode {
	case initproto.ModeInit:
		if err = takeFinisherExe(ic.FinisherFd); err == nil {
			if err = takeMountFds(conn, &ic); err == nil {
				err = initContainer(conn, &ic)
			}
		}
	case initproto.ModeExec:
		if err = takeFinisherExe(ic.FinisherFd); err == nil {
			err = execProcess(conn, &ic)
		}
	default:
		err = fmt.Errorf("ocirun init: unknown mode %q", ic.Mode)
	}
	conn.SendError(err)
	os.Exit(1)
}

// initContainer builds the container. It returns only errors that happen
// before the runtime committed the container; later ones go to "ocirun
// start" through the start connection.
func initContainer(conn *initproto.Conn, ic *initproto.InitConfig) error {
	cfg, proc := ic.Config, ic.Process
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if _, ok := cfg.Namespace(configs.NEWNS); !ok {
		return errors.New("the container needs a mount namespace (linux.namespaces has no \"mount\" entry)")
	}
	// A rootless runtime cannot create devices either, even for a
	// container without a user namespace of its own (rootless podman's).
	_, inUserNS := cfg.Namespace(configs.NEWUSER)
	inUserNS = inUserNS || ic.Rootless
	_, cgroupNS := cfg.Namespace(configs.NEWCGROUP)
	// Checked while the host's /sys is still in view, before anything of
	// the container is built: the container's own /sys says nothing.
	if err := checkLSMs(cfg, proc); err != nil {
		return err
	}
	opts := rootfs.Options{InUserNS: inUserNS, HasCgroupNS: cgroupNS, CgroupPaths: ic.CgroupPaths, MountFds: ic.MountFds}
	err := inside.Build(cfg, opts, ic.NoPivotRoot, func() error {
		if h := cfg.Hooks; h != nil && (len(h.Prestart) > 0 || len(h.CreateRuntime) > 0) { //nolint:staticcheck // prestart is deprecated, still run
			if err := conn.Send(initproto.MsgRuntimeHooks, nil); err != nil {
				return err
			}
			if _, err := conn.Expect(initproto.MsgHooksDone); err != nil {
				return err
			}
		}
		if h := cfg.Hooks; h != nil && len(h.CreateContainer) > 0 {
			return hooks.RunAll("createContainer", h.CreateContainer, hookState(ic, "created"))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if proc.Terminal {
		if err := setupConsole(ic.ConsoleFd, proc, true); err != nil {
			return err
		}
	}
	// Compiled now, loaded by the finisher: a bad filter fails create.
	filter, err := buildSeccomp(cfg)
	if err != nil {
		return err
	}
	if err := sendSeccompProgram(conn, filter); err != nil {
		return err
	}
	p, err := plan(ic, filter)
	if err != nil {
		return err
	}
	if h := cfg.Hooks; h == nil || len(h.StartContainer) == 0 {
		// The finisher reports MsgReady once the process's identity is
		// applied, and waits for start itself.
		return execFinisher(p, int(conn.File().Fd()), ic.StartFd, proc)
	}

	// startContainer hooks run in Go after start, before the finisher:
	// the one part of starting the process that stays in Go.
	if err := conn.Send(initproto.MsgReady, nil); err != nil {
		return err
	}
	if _, err := conn.Expect(initproto.MsgCommitted); err != nil {
		// The runtime failed after we were ready and cleans up; the
		// container must not outlive it.
		os.Exit(1)
	}
	conn.Close()
	startConn, err := waitForStart(ic.StartFd)
	if err != nil {
		os.Exit(1) // nobody can be told: create has returned, start never connected
	}
	start := initproto.NewConn(startConn)
	err = hooks.RunAll("startContainer", cfg.Hooks.StartContainer, hookState(ic, "created"))
	if err == nil {
		err = execFinisher(p, int(startConn.Fd()), -1, proc)
	}
	start.SendError(err)
	os.Exit(1)
	return nil
}

// waitForStart blocks until "ocirun start" connects to the start socket.
func waitForStart(listenFd int) (*os.File, error) {
	for {
		nfd, _, err := unix.Accept4(listenFd, unix.SOCK_CLOEXEC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		unix.Close(listenFd)
		if err != nil {
			return nil, fmt.Errorf("accept on start socket: %w", err)
		}
		return os.NewFile(uintptr(nfd), "start-conn"), nil
	}
}

// execProcess prepares an exec that needs Go: stage 0 has joined all of
// the container's namespaces, the runtime puts us in its cgroup.
func execProcess(conn *initproto.Conn, ic *initproto.InitConfig) error {
	proc := ic.Process
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if proc.Terminal {
		if err := setupConsole(ic.ConsoleFd, proc, false); err != nil {
			return err
		}
	}
	filter, err := buildSeccomp(ic.Config)
	if err != nil {
		return err
	}
	p, err := plan(ic, filter)
	if err != nil {
		return err
	}
	if err := conn.Send(initproto.MsgReady, nil); err != nil {
		return err
	}
	// The runtime may still have to move us into the container's cgroup.
	// From here on it reads either an error or EOF, which the
	// close-on-exec sync socket produces when the process execs.
	if _, err := conn.Expect(initproto.MsgCommitted); err != nil {
		return err
	}
	return execFinisher(p, int(conn.File().Fd()), -1, proc)
}

// takeMountFds turns the positions in ic.MountFds into the numbers of the
// fds that came with MsgConfig.
func takeMountFds(conn *initproto.Conn, ic *initproto.InitConfig) error {
	got := make([]int, len(ic.MountFds))
	for k := range got {
		if got[k] = conn.TakeFd(); got[k] < 0 {
			return fmt.Errorf("sync protocol: %d id-mapped mounts announced, %d fds came with the config", len(ic.MountFds), k)
		}
	}
	for i, k := range ic.MountFds {
		if k < 0 || k >= len(got) {
			return fmt.Errorf("sync protocol: id-mapped mount mounts[%d] refers to fd %d of %d", i, k, len(got))
		}
		ic.MountFds[i] = got[k]
	}
	return nil
}
