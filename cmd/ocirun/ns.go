package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer/nsinfo"
)

var nsCommand = &cli.Command{
	Name:      "ns",
	Usage:     "show a container's namespaces as the kernel sees them",
	ArgsUsage: "<container-id> | --all",
	Description: "For each namespace type: its inode, whether the container got a new one,\n" +
		"joined one by path or shares the host's, and the other containers of --root in\n" +
		"it; the user namespace's id maps and owner; the PID namespace's processes.\n" +
		"--all groups the containers of --root by the namespaces they share.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "group every container of --root by shared namespaces"},
	},
	Action: func(c *cli.Context) error {
		format := c.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("ns: unknown --format %q (table or json)", format)
		}
		out := bufio.NewWriter(os.Stdout)
		defer out.Flush()
		if c.Bool("all") {
			if c.NArg() > 0 {
				return fmt.Errorf("ns: --all takes no container id")
			}
			groups, err := nsinfo.All(store(c))
			if err != nil {
				return err
			}
			if format == "json" {
				return json.NewEncoder(out).Encode(groups)
			}
			return writeGroups(out, groups)
		}
		id, err := containerID(c)
		if err != nil {
			return err
		}
		info, err := nsinfo.Inspect(store(c), id)
		if err != nil {
			return err
		}
		if format == "json" {
			return json.NewEncoder(out).Encode(info)
		}
		return writeNamespaces(out, info)
	},
}

func writeNamespaces(out *bufio.Writer, info *nsinfo.Container) error {
	fmt.Fprintf(out, "container %s: %s, init pid %d\n", info.ID, info.Status, info.Pid)
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprint(w, "TYPE\tINODE\tORIGIN\tSHARED WITH\n")
	for _, ns := range info.Namespaces {
		origin := string(ns.Origin)
		if ns.Path != "" {
			origin += " " + ns.Path
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", ns.Type, ns.Inode, origin, strings.Join(ns.SharedWith, ","))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, ns := range info.Namespaces {
		if ns.UIDMap != nil {
			owner := "?"
			if ns.OwnerUID != nil {
				owner = strconv.FormatUint(uint64(*ns.OwnerUID), 10)
			}
			fmt.Fprintf(out, "user namespace: owner uid %s; uid_map %s; gid_map %s\n", owner, strings.Join(ns.UIDMap, ", "), strings.Join(ns.GIDMap, ", "))
		}
		if ns.Processes != nil {
			fmt.Fprintf(out, "pid namespace: %d processes\n", len(ns.Processes))
			w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			fmt.Fprint(w, "  PID\tNSPID\tCOMMAND\n")
			for _, p := range ns.Processes {
				fmt.Fprintf(w, "  %d\t%d\t%s\n", p.Pid, p.NsPid, p.Command)
			}
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeGroups(out *bufio.Writer, groups []nsinfo.Group) error {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprint(w, "GROUP\tCONTAINERS\tSHARED NAMESPACES\n")
	for i, g := range groups {
		fmt.Fprintf(w, "%d\t%s\t%s\n", i+1, strings.Join(g.Containers, ","), strings.Join(g.Shared, " "))
	}
	return w.Flush()
}
