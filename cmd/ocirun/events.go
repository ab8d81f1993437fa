package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
)

// event is one line of "ocirun events", shaped as runc prints it.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print container stats and OOM events as JSON lines",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "stats", Usage: "print the stats once and exit"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats lines"},
	},
	Action: func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		s := store(c)
		ctr, err := s.Peek(id)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		if c.Bool("stats") {
			st, err := ctr.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(event{Type: "stats", ID: id, Data: st})
		}
		interval := c.Duration("interval")
		if interval <= 0 {
			return fmt.Errorf("events: --interval must be positive")
		}
		ooms, _ := ctr.OOMKillCount()
		// OOM kills are polled at a short period so they are reported
		// promptly; stats go out at the requested interval.
		poll := min(interval, 200*time.Millisecond)
		nextStats := time.Now()
		for {
			// The status is read before the OOM count: a kill that stopped
			// the container happened before the stop was seen, so the
			// count read after it still reports that kill.
			stopped := ctr.Status() == libcontainer.Stopped
			if n, err := ctr.OOMKillCount(); err == nil && n > ooms {
				for ; ooms < n; ooms++ {
					if err := enc.Encode(event{Type: "oom", ID: id}); err != nil {
						return err
					}
				}
			}
			if stopped {
				return nil
			}
			if !time.Now().Before(nextStats) {
				if st, err := ctr.Stats(); err == nil {
					if err := enc.Encode(event{Type: "stats", ID: id, Data: st}); err != nil {
						return err
					}
				}
				nextStats = time.Now().Add(interval)
			}
			time.Sleep(poll)
			if ctr, err = s.Peek(id); err != nil {
				return nil // deleted meanwhile
			}
		}
	},
}
