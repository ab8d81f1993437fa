package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Aliases:   []string{"rm"},
	Usage:     "delete a stopped or created container (--force: any container)",
	ArgsUsage: "<container-id> [container-id...]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container's processes first; succeed if it does not exist"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return fmt.Errorf("delete: a container id is required")
		}
		var errs []error
		for _, id := range c.Args().Slice() {
			if err := deleteOne(c, id); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	},
}

func deleteOne(c *cli.Context, id string) error {
	force := c.Bool("force")
	ctr, err := store(c).Load(id)
	if err != nil {
		// containerd's shim runs "delete --force" after "delete": a
		// container that is already gone is success then.
		if force && errors.Is(err, libcontainer.ErrNotExist) {
			return nil
		}
		return err
	}
	defer ctr.Unlock()
	return ctr.Delete(force)
}
