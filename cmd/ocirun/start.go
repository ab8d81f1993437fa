package main

import "github.com/urfave/cli/v2"

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "run the user process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		ctr, err := store(c).Load(id)
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Start()
	},
}
