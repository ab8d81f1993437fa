package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ocirun/ocirun/libcontainer"
)

func TestFlagHints(t *testing.T) {
	err := fmt.Errorf("cannot exec in container %q: %w", "c", libcontainer.ErrPaused)
	if got, want := withFlagHint(err).Error(), `cannot exec in container "c": it is paused (use --ignore-paused)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	other := errors.New("unrelated")
	if withFlagHint(other) != other {
		t.Error("an error without a hint was changed")
	}
	for _, h := range flagHints {
		if !strings.Contains(withFlagHint(h.err).Error(), "--") {
			t.Errorf("hint for %q names no flag", h.err)
		}
	}
}
