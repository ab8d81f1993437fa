package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal to a container's init (default SIGTERM)",
	ArgsUsage: "<container-id> [signal]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() < 1 || c.NArg() > 2 {
			return fmt.Errorf("kill: expected a container id and an optional signal, got %d arguments", c.NArg())
		}
		sig := unix.SIGTERM
		if c.NArg() == 2 {
			var err error
			if sig, err = parseSignal(c.Args().Get(1)); err != nil {
				return err
			}
		}
		ctr, err := store(c).Load(c.Args().First())
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Signal(sig, c.Bool("all"))
	},
}
