package main

import (
	"errors"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer"
)

var (
	errNegativePreserve = errors.New("--preserve-fds must not be negative")
)

// flagHints names, for library errors that a flag changes, that flag: the
// library knows nothing of the command line.
var flagHints = []struct {
	err  error
	hint string
}{
	{libcontainer.ErrPaused, "use --ignore-paused"},
	{libcontainer.ErrNotStopped, "or use --force"},
	{libcontainer.ErrConsoleWithoutTerminal, "--console-socket was given; exec's --tty gives the process a terminal"},
	{libcontainer.ErrNoConsoleSocket, "use --console-socket"},
	{libcontainer.ErrDamaged, "delete --force removes it"},
}

// withFlagHint appends the flag hint that fits err, if any.
func withFlagHint(err error) error {
	var (
		pivot *libcontainer.PivotRootError
		root  *libcontainer.StateRootError
	)
	switch {
	case errors.As(err, &pivot):
		return fmt.Errorf("%w (--no-pivot)", err)
	case errors.As(err, &root):
		return fmt.Errorf("%w (--root DIR)", err)
	}
	for _, h := range flagHints {
		if errors.Is(err, h.err) {
			return fmt.Errorf("%w (%s)", err, h.hint)
		}
	}
	return err
}
