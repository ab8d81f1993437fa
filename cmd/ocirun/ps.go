package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "list the processes of a container",
	ArgsUsage: "<container-id> [ps options]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table (ps output) or json (host pids)"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() < 1 {
			return errors.New("ps: a container id is required")
		}
		ctr, err := store(c).Peek(c.Args().First())
		if err != nil {
			return err
		}
		pids, err := ctr.Processes()
		if err != nil {
			return err
		}
		switch f := c.String("format"); f {
		case "json":
			if pids == nil {
				pids = []int{}
			}
			return json.NewEncoder(os.Stdout).Encode(pids)
		case "table":
		default:
			return fmt.Errorf("ps: unknown --format %q (table or json)", f)
		}
		psArgs := c.Args().Slice()[1:]
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		out, err := exec.Command("ps", psArgs...).Output()
		if err != nil {
			return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
		}
		return printProcessLines(out, pids)
	},
}

// printProcessLines prints the header of ps's output and the lines of the
// container's processes, found through ps's PID column.
func printProcessLines(out []byte, pids []int) error {
	lines := strings.Split(string(bytes.TrimRight(out, "\n")), "\n")
	pidCol := slices.Index(strings.Fields(lines[0]), "PID")
	if pidCol < 0 {
		return errors.New("ps: the ps output has no PID column")
	}
	fmt.Println(lines[0])
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= pidCol {
			continue
		}
		if pid, err := strconv.Atoi(fields[pidCol]); err == nil && slices.Contains(pids, pid) {
			fmt.Println(line)
		}
	}
	return nil
}
