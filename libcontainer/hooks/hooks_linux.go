// Package hooks runs the lifecycle hooks of config.json the way runtime-spec
// describes them: the hook's path is executed with its own args and env
// (never the runtime's environment), the container state is written to its
// stdin as JSON, and a hook that outlives its timeout is killed.
//
// Where a hook runs (the runtime's namespaces or the container's) is the
// caller's business; this package only starts, feeds and waits for it.
package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/slack"
)

const (
	// outputLimit bounds how much of a hook's stderr (or stdout) goes into
	// the error message; the end is kept, where the cause usually is.
	outputLimit = 4096
	// waitDelay is how long Run waits, once the hook has exited, for its
	// output pipes to close. A background child the hook leaves behind
	// keeps them open indefinitely; the hook's own output is already in
	// the pipe by then, so the wait only has to drain it.
	waitDelay = time.Second
)

// Run runs one hook of the given phase ("prestart", "createRuntime", ...,
// used only in errors). args[0] is argv[0] (the path when args is empty);
// env is exactly h.Env — with a repeated name the last value wins, as
// os/exec has it. The hook runs in its own process group so that a timeout
// kills whatever it started too.
//
// The error names the phase and the hook path, then the cause and the end
// of the hook's stderr on one line:
//
//	createRuntime hook /usr/bin/x: exit status 1: <stderr>
func Run(phase string, h specs.Hook, state *specs.State) error {
	prefix := fmt.Sprintf("%s hook %s", phase, h.Path)
	if !filepath.IsAbs(h.Path) {
		return fmt.Errorf("%s: path must be absolute", prefix)
	}
	if h.Timeout != nil && *h.Timeout <= 0 {
		return fmt.Errorf("%s: timeout must be greater than zero, got %d", prefix, *h.Timeout)
	}
	if state == nil {
		return fmt.Errorf("%s: no container state to pass on stdin", prefix)
	}
	stdin, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("%s: encode state: %w", prefix, err)
	}

	var stdout, stderr tailBuffer
	cmd := &exec.Cmd{
		Path:   h.Path,
		Args:   h.Args,
		Env:    append([]string{}, h.Env...), // non-nil: nil would mean the runtime's environment
		Stdin:  bytes.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid: true,
		},
		WaitDelay: waitDelay,
	}
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	if err := slack.Start(cmd.Start); err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var expired <-chan time.Time
	if h.Timeout != nil {
		timer := time.NewTimer(time.Duration(*h.Timeout) * time.Second)
		defer timer.Stop()
		expired = timer.C
	}

	select {
	case err = <-done:
	case <-expired:
		// The negative pid addresses the hook's process group: a shell
		// script's children die with it and cannot hold its output open.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("%s: timed out after %ds, killed%s", prefix, *h.Timeout, outputSuffix(&stdout, &stderr))
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// The hook exited 0; only something it left running still held
		// its stdout or stderr.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w%s", prefix, err, outputSuffix(&stdout, &stderr))
	}
	return nil
}

// RunAll runs the hooks in order and stops at the first failure.
func RunAll(phase string, hs []specs.Hook, state *specs.State) error {
	for _, h := range hs {
		if err := Run(phase, h, state); err != nil {
			return err
		}
	}
	return nil
}

// outputSuffix renders the hook's stderr, or its stdout when stderr is
// empty, for the end of an error message. Engines show only the last line a
// runtime prints, so the output is folded onto one line.
func outputSuffix(stdout, stderr *tailBuffer) string {
	if s := oneLine(stderr); s != "" {
		return ": " + s
	}
	if s := oneLine(stdout); s != "" {
		return ": stdout: " + s
	}
	return ""
}

// oneLine folds the output's non-blank lines into one and keeps at most
// the last outputLimit bytes of it.
func oneLine(out *tailBuffer) string {
	var parts []string
	for _, l := range strings.Split(string(out.buf), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	s := strings.Join(parts, "; ")
	if len(s) <= outputLimit && !out.truncated {
		return s
	}
	if len(s) > outputLimit {
		s = s[len(s)-outputLimit:]
	}
	// Do not start in the middle of a multi-byte character.
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return "..." + s
}

// tailBuffer keeps the last bytes written to it: enough to fill
// outputLimit even after folding, which only adds a byte per line.
type tailBuffer struct {
	buf       []byte
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - 2*outputLimit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.truncated = true
	}
	return len(p), nil
}
