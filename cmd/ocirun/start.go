package main

import (
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "run the user process of a created container",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		return onContainer(c, (*libcontainer.Container).Start)
	},
}
