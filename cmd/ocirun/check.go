package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer/hostcheck"
)

var checkCommand = &cli.Command{
	Name:  "check",
	Usage: "try what containers need on this host, and say what is missing and how to fix it",
	Description: "Each item is tried (in throwaway namespaces, cgroups and mounts that are\n" +
		"removed again) and reported as ok, degraded or missing. With --bundle, the\n" +
		"bundle's config is checked against this host as create would, without\n" +
		"creating a container. The exit status is 1 when something is missing.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "also check this bundle's config and filesystems"},
		&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return fmt.Errorf("check: takes no arguments, got %q", c.Args().First())
		}
		r := hostcheck.Run(hostcheck.Options{
			Root:    stateRoot(c),
			Bundle:  c.String("bundle"),
			Systemd: c.Bool("systemd-cgroup"),
		})
		var err error
		if c.Bool("json") {
			err = json.NewEncoder(os.Stdout).Encode(r)
		} else {
			err = r.WriteTable(os.Stdout)
		}
		if err != nil {
			return err
		}
		if r.Failed() {
			return exitCode(1)
		}
		return nil
	},
}
