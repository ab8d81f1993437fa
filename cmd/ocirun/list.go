package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
)

var listCommand = &cli.Command{
	Name:    "list",
	Aliases: []string{"ls"},
	Usage:   "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the ids"},
	},
	Action: func(c *cli.Context) error {
		s := store(c)
		ids, err := s.List()
		if err != nil {
			return err
		}
		states := []containerState{}
		owners := map[string]string{} // one /etc/passwd lookup per uid
		for _, id := range ids {
			ctr, err := s.Peek(id)
			if errors.Is(err, libcontainer.ErrNotExist) {
				continue // being created or deleted right now
			}
			if err != nil {
				return err
			}
			st := stateOf(ctr)
			st.Owner = ownerName(filepath.Join(s.Root, id), owners)
			states = append(states, st)
		}
		out := bufio.NewWriter(os.Stdout)
		if c.Bool("quiet") {
			for _, st := range states {
				fmt.Fprintln(out, st.ID)
			}
			return out.Flush()
		}
		switch f := c.String("format"); f {
		case "json":
			if err := json.NewEncoder(out).Encode(states); err != nil {
				return err
			}
			return out.Flush()
		case "table":
			w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
			fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, st := range states {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle, st.Created.Format(time.RFC3339Nano), st.Owner)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return out.Flush()
		default:
			return fmt.Errorf("list: unknown --format %q (table or json)", f)
		}
	},
}
