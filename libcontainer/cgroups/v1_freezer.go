package cgroups

import (
	"fmt"
	"strings"
	"time"
)

// freezeTimeout bounds how long Freeze waits for the kernel to stop every
// task of the cgroup.
var freezeTimeout = 10 * time.Second

func readFreezerState(dir string) (string, error) {
	s, err := readValue(dir, "freezer.state")
	return strings.TrimSpace(s), err
}

func freezeV1(w writeFunc, dir string) error {
	deadline := time.Now().Add(freezeTimeout)
	delay := time.Millisecond
	for i := 1; ; i++ {
		if i%50 == 0 {
			// A task can hold up freezing indefinitely (a vfork parent
			// waiting for a frozen child); thawing and freezing again
			// lets it move on.
			if err := w(dir, "freezer.state", "THAWED"); err != nil {
				return err
			}
		}
		if err := w(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		state, err := readFreezerState(dir)
		if err != nil {
			return err
		}
		if state == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			if err := w(dir, "freezer.state", "THAWED"); err != nil {
				return fmt.Errorf("freeze cgroup %s: still %s after %v, and thawing it again failed: %w", dir, state, freezeTimeout, err)
			}
			return fmt.Errorf("freeze cgroup %s: still %s after %v (thawed it again)", dir, state, freezeTimeout)
		}
		time.Sleep(delay)
		if delay < 10*time.Millisecond {
			delay *= 2
		}
	}
}

func thawV1(w writeFunc, dir string) error {
	if err := w(dir, "freezer.state", "THAWED"); err != nil {
		if vanished(dir) {
			return nil
		}
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for {
		state, err := readFreezerState(dir)
		if err != nil {
			if vanished(dir) {
				return nil
			}
			return err
		}
		if state == "THAWED" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thaw cgroup %s: still %s after %v", dir, state, freezeTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

func freezerStateV1(dir string) (FreezerState, error) {
	for i := 0; ; i++ {
		state, err := readFreezerState(dir)
		if err != nil {
			return Undefined, err
		}
		switch state {
		case "THAWED":
			return Thawed, nil
		case "FROZEN", "FREEZING":
			// The container is paused only if it was frozen itself, not
			// through a frozen ancestor.
			self, err := readValue(dir, "freezer.self_freezing")
			if err != nil {
				return Undefined, err
			}
			if strings.TrimSpace(self) != "1" {
				return Thawed, nil
			}
			if state == "FROZEN" || i >= 100 {
				// A freeze interrupted half-way (its runtime killed) stays
				// FREEZING: it was asked to pause, so it counts as paused
				// and resume undoes it.
				return Frozen, nil
			}
			time.Sleep(time.Millisecond)
		default:
			return Undefined, fmt.Errorf("%s/freezer.state: unknown state %q", dir, state)
		}
	}
}
