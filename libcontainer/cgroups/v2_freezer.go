package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// cgroupFrozen reads "frozen" from cgroup.events: whether every task below
// the cgroup is stopped, whoever froze it.
func cgroupFrozen(dir string) (bool, error) {
	v, err := readKey(dir, "cgroup.events", "frozen")
	return v == 1, err
}

func freezeV2(w writeFunc, dir string) error {
	if !exists(dir, "cgroup.freeze") {
		return fmt.Errorf("cannot pause: %s does not exist (the cgroup v2 freezer needs Linux 5.2)", filepath.Join(dir, "cgroup.freeze"))
	}
	if err := w(dir, "cgroup.freeze", "1"); err != nil {
		return err
	}
	// Writing returns at once; the kernel freezes tasks as they reach a
	// safe point and says so in cgroup.events.
	deadline := time.Now().Add(freezeTimeout)
	delay := time.Millisecond
	for {
		frozen, err := cgroupFrozen(dir)
		if err != nil {
			return err
		}
		if frozen {
			return nil
		}
		if time.Now().After(deadline) {
			if err := w(dir, "cgroup.freeze", "0"); err != nil {
				return fmt.Errorf("freeze cgroup %s: not frozen after %v, and thawing it again failed: %w", dir, freezeTimeout, err)
			}
			return fmt.Errorf("freeze cgroup %s: not frozen after %v (thawed it again)", dir, freezeTimeout)
		}
		time.Sleep(delay)
		if delay < 10*time.Millisecond {
			delay *= 2
		}
	}
}

func thawV2(w writeFunc, dir string) error {
	if !exists(dir, "cgroup.freeze") {
		if vanished(dir) {
			return nil
		}
		return fmt.Errorf("cannot resume: %s does not exist (the cgroup v2 freezer needs Linux 5.2)", filepath.Join(dir, "cgroup.freeze"))
	}
	if err := w(dir, "cgroup.freeze", "0"); err != nil && !vanished(dir) {
		return err
	}
	return nil
}

func freezerStateV2(dir string) (FreezerState, error) {
	s, err := readValue(dir, "cgroup.freeze")
	if errors.Is(err, fs.ErrNotExist) {
		// Kernel without the v2 freezer, or the cgroup is gone.
		return Undefined, nil
	}
	if err != nil {
		return Undefined, err
	}
	switch strings.TrimSpace(s) {
	case "0":
		// Tasks stopped by a frozen ancestor do not make the container
		// paused.
		return Thawed, nil
	case "1":
		// Asked to freeze: paused, even while the last tasks are still
		// on their way to being frozen.
		return Frozen, nil
	}
	return Undefined, fmt.Errorf("%s/cgroup.freeze: unexpected content %q", dir, s)
}
