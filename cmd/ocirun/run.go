package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container, wait for it, delete it",
	ArgsUsage: "<container-id>",
	Flags: append(append([]cli.Flag{}, createFlags...),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "accepted for runc compatibility; the runtime is always a subreaper while it waits"},
	),
	Action: func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		detach := c.Bool("detach")
		var console *os.File // our end of the socket the pty master arrives on
		ctr, err := createContainer(c, id, func(o *libcontainer.CreateOpts) error {
			o.StartsAtOnce = true
			if !o.Config.Process.Terminal || o.ConsoleSocket != "" {
				return nil
			}
			if detach {
				return errors.New("run --detach with process.terminal needs --console-socket: nobody would hold the terminal")
			}
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("create console socket pair: %w", err)
			}
			console = os.NewFile(uintptr(fds[0]), "console")
			o.ConsoleConn = os.NewFile(uintptr(fds[1]), "console-init")
			return nil
		})
		if err != nil {
			return err
		}
		pid := ctr.State().InitPid
		// Catch signals from start on; they go to the container once it
		// runs.
		sigs := make(chan os.Signal, 64)
		var sigsReady <-chan struct{}
		if !detach {
			sigsReady = notifyForwarded(sigs)
		}
		var master *os.File
		if console != nil {
			master, err = receiveMaster(console)
			console.Close()
			if err != nil {
				ctr.Delete(true)
				ctr.Unlock()
				return err
			}
		}
		if err := ctr.Start(); err != nil {
			ctr.Delete(true)
			ctr.Unlock()
			return err
		}
		// Let kill, state and exec work on the container while we wait.
		ctr.Unlock()
		if detach {
			return nil
		}
		var restore func()
		var outputDone <-chan struct{}
		if master != nil {
			restore, outputDone = relayTerminal(master)
		}
		ws := waitContainer(pid, sigs, sigsReady, master)
		logDebug("container %s: process %d ended with exit code %d", id, pid, libcontainer.ExitCode(ws))
		if outputDone != nil {
			select { // drain what the container wrote before it exited
			case <-outputDone:
			case <-time.After(time.Second):
			}
		}
		if restore != nil {
			restore()
		}
		if !c.Bool("keep") {
			if ctr, err := store(c).Load(id); err == nil {
				err = ctr.Delete(true)
				ctr.Unlock()
				if err != nil {
					return err
				}
			}
		}
		return exitCode(libcontainer.ExitCode(ws))
	},
}

// forwardedSignals are the signals run and exec pass on to the process
// they wait for, plus SIGCHLD and SIGWINCH, which they handle themselves:
// the ones users and engines send (termination, job control, the user
// signals, SIGALRM). Not all 64: the Go runtime enables each one with a
// round trip to its signal-mask thread, and 64 of them cost more than the
// rest of an exec. Left out are the signals the Go runtime needs (SIGURG,
// SIGPROF, the synchronous faults), SIGPIPE (a closed stdout must still end
// us), those the kernel raises for a process's own doing (SIGXCPU, SIGXFSZ,
// SIGVTALRM, SIGIO) and the real-time signals.
var forwardedSignals = []os.Signal{
	unix.SIGCHLD, unix.SIGWINCH,
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGABRT, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGALRM, unix.SIGTERM, unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU,
}

// notifyForwarded starts listening for forwardedSignals in the background
// and returns a channel that is closed once they are all registered, so
// that the round trips overlap with starting the process. A signal that
// comes sooner has its default effect on us, as it had before the call.
func notifyForwarded(sigs chan os.Signal) <-chan struct{} {
	ready := make(chan struct{})
	go func() {
		signal.Notify(sigs, forwardedSignals...)
		close(ready)
	}()
	return ready
}

// waitContainer forwards signals to the init until it exits, reaping any
// orphan reparented to us meanwhile, and returns the init's wait status.
// It starts once notifyForwarded's registration (ready) is done, so that
// no SIGCHLD after the first reap can be missed.
func waitContainer(pid int, sigs chan os.Signal, ready <-chan struct{}, master *os.File) unix.WaitStatus {
	<-ready
	for {
		var ws unix.WaitStatus
		for {
			wpid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err != nil || wpid <= 0 {
				break
			}
			if wpid == pid {
				// No signal.Stop: the process ends soon, and Stop would
				// cost another round trip per signal.
				return ws
			}
		}
		sig := (<-sigs).(unix.Signal)
		switch sig {
		case unix.SIGCHLD:
		case unix.SIGWINCH:
			if master != nil {
				copyWinsize(master)
			}
		default:
			unix.Kill(pid, sig)
		}
	}
}

// receiveMaster reads the pty master the init sends with SCM_RIGHTS.
func receiveMaster(sock *os.File) (*os.File, error) {
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive the container's pty: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive the container's pty: bad control message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive the container's pty: no fd in the message")
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

// relayTerminal connects our stdin/stdout to the container's pty, with our
// terminal (if stdin is one) in raw mode so keys reach the container as typed.
func relayTerminal(master *os.File) (restore func(), outputDone <-chan struct{}) {
	restore = func() {}
	in := int(os.Stdin.Fd())
	if old, err := unix.IoctlGetTermios(in, unix.TCGETS); err == nil {
		raw := *old
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		if unix.IoctlSetTermios(in, unix.TCSETS, &raw) == nil {
			restore = func() { unix.IoctlSetTermios(in, unix.TCSETS, old) }
		}
		copyWinsize(master)
	}
	done := make(chan struct{})
	var once sync.Once
	go func() {
		io.Copy(os.Stdout, master) // ends with EIO once the container closed the pty
		once.Do(func() { close(done) })
	}()
	go io.Copy(master, os.Stdin)
	return restore, done
}

func copyWinsize(master *os.File) {
	if ws, err := unix.IoctlGetWinsize(int(os.Stdin.Fd()), unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
	}
}
