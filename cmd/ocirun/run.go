package main

import (
	"errors"
	"fmt"
	"os"
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
		logTimings()
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
