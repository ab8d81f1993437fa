package main

import (
	"errors"
	"fmt"

	"github.com/ocirun/ocirun/libcontainer"
)

var (
	errNegativePreserve = errors.New("--preserve-fds must not be negative")
)

// withFlagHint names the command-line option that is the fix for an error
// the library typed: the library says what to do, not which flag does it.
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
	return err
}
