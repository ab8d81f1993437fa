package main

import (
	"bufio"
	"encoding/json"
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
		states, err := listStates(s, ids)
		if err != nil {
			return err
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

// listStates reads the state of every container, in the order of ids.
func listStates(s *libcontainer.Store, ids []string) ([]containerState, error) {
	found := make([]*containerState, len(ids))
	uids := make([]string, len(ids))
	err := s.PeekEach(ids, func(i int, ctr *libcontainer.Container) {
		st := stateOf(ctr)
		found[i], uids[i] = &st, ownerUID(filepath.Join(s.Root, ids[i]))
	})
	if err != nil {
		return nil, err
	}
	states := []containerState{}
	owners := map[string]string{} // one /etc/passwd lookup per uid
	for i := range ids {
		if found[i] != nil {
			found[i].Owner = ownerName(uids[i], owners)
			states = append(states, *found[i])
		}
	}
	return states, nil
}
