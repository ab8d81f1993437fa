package main

import (
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle directory"},
	&cli.StringFlag{Name: "pid-file", Usage: "write the container init's pid to this file"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master when process.terminal is true"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot_root (for a rootfs on a ramdisk)"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass N more fds, from 3 up, to the container's process"},
	&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the init"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container; its process waits for start",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		ctr, err := createContainer(c, id, nil)
		if err != nil {
			return err
		}
		ctr.Unlock()
		return nil
	},
}

func createContainer(c *cli.Context, id string, modify func(*libcontainer.CreateOpts) error) (*libcontainer.Container, error) {
	libcontainer.PrepareCgroupMove()
	if err := libcontainer.ValidateID(id); err != nil {
		return nil, err
	}
	bundle, cfg, err := loadBundle(c, c.String("bundle"))
	if err != nil {
		return nil, err
	}
	if c.Int("preserve-fds") < 0 {
		return nil, errNegativePreserve
	}
	libcontainer.Timer.Mark("config load")
	opts := &libcontainer.CreateOpts{
		ID:            id,
		Bundle:        bundle,
		Config:        cfg,
		PidFile:       c.String("pid-file"),
		ConsoleSocket: c.String("console-socket"),
		NoPivot:       c.Bool("no-pivot"),
		NoNewKeyring:  c.Bool("no-new-keyring"),
		PreserveFds:   addListenFds(cfg, c.Int("preserve-fds")),
	}
	if modify != nil {
		if err := modify(opts); err != nil {
			return nil, err
		}
	}
	// Only create asks whether it is rootless: the other commands find
	// what it decided in the container's state.
	s := store(c)
	s.Rootless = rootless(c)
	ctr, err := s.Create(opts)
	if err != nil {
		return nil, err
	}
	logDebug("container %s created from bundle %s: init pid %d", id, bundle, ctr.State().InitPid)
	if p := c.String("pidfd-socket"); p != "" {
		if err := libcontainer.SendPidfd(p, ctr.State().InitPid); err != nil {
			ctr.Delete(true)
			ctr.Unlock()
			return nil, err
		}
	}
	return ctr, nil
}
