package hooks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func testState() *specs.State {
	return &specs.State{
		Version:     specs.Version,
		ID:          "ctr-1",
		Status:      specs.StateCreating,
		Pid:         4242,
		Bundle:      "/run/bundle",
		Annotations: map[string]string{"a": "b"},
	}
}

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func intp(v int) *int { return &v }

func TestRunStateOnStdin(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "stdin")
	h := specs.Hook{Path: script(t, dir, "hook", `cat > "`+out+`"`)}
	st := testState()
	if err := Run("createRuntime", h, st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got specs.State
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("stdin %q: %v", b, err)
	}
	if !reflect.DeepEqual(&got, st) {
		t.Errorf("hook read %+v, want %+v", got, *st)
	}
}

func TestRunEnvIsExactlyHookEnv(t *testing.T) {
	t.Setenv("OCIRUN_RUNTIME_ONLY", "leak")
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	// /proc/$$/environ is what execve gave the shell, before the shell
	// adds anything of its own.
	path := script(t, dir, "hook", `/bin/cat /proc/$$/environ > "`+out+`"`)
	tests := []struct {
		name string
		env  []string
	}{
		{"none", nil},
		{"some", []string{"A=1", "B=two words", "PATH=/nonexistent", "EMPTY="}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Run("prestart", specs.Hook{Path: path, Env: tc.env}, testState()); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if s := strings.TrimSuffix(string(b), "\x00"); s != "" {
				got = strings.Split(s, "\x00")
			}
			if !reflect.DeepEqual(got, tc.env) {
				t.Errorf("hook env = %q, want %q", got, tc.env)
			}
		})
	}
}

func TestRunArgs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	// /proc/$$/cmdline is the argv the shell was started with; "; true"
	// keeps the shell from exec'ing tr in its place.
	h := specs.Hook{
		Path: "/bin/sh",
		Args: []string{"custom-argv0", "-c", `tr '\0' '|' < /proc/$$/cmdline > "` + out + `"; true`, "x", "y z"},
	}
	if err := Run("poststart", h, testState()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), strings.Join(h.Args, "|")+"|"; got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}

	// Without args, argv[0] is the path.
	h = specs.Hook{Path: script(t, dir, "noargs", `printf '%s' "$0" > "`+out+`"`)}
	if err := Run("poststart", h, testState()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != h.Path {
		t.Errorf("$0 = %q, want %q", b, h.Path)
	}
}

func TestRunFailureReportsStderr(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		body string
		want string // after "<phase> hook <path>: "
	}{
		{"stderr", "echo 'progress' ; echo 'boom: the thing failed' >&2; exit 3",
			"exit status 3: boom: the thing failed"},
		{"multi-line stderr", "printf 'first\\n\\n  second  \\n' >&2; exit 1",
			"exit status 1: first; second"},
		{"stdout only", "echo 'only on stdout'; exit 2",
			"exit status 2: stdout: only on stdout"},
		{"silent", "exit 4", "exit status 4"},
		{"signal", "kill -TERM $$", "signal: terminated"},
		{"long stderr keeps the end", "i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1",
			"exit status 1: ..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := script(t, dir, strings.ReplaceAll(tc.name, " ", "-"), tc.body)
			err := Run("createRuntime", specs.Hook{Path: path}, testState())
			if err == nil {
				t.Fatal("Run succeeded")
			}
			prefix := "createRuntime hook " + path + ": "
			if !strings.HasPrefix(err.Error(), prefix+tc.want) {
				t.Errorf("error = %.300q\nwant prefix %q", err, prefix+tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			if len(err.Error()) > outputLimit+len(prefix)+100 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
			if tc.name == "long stderr keeps the end" && !strings.HasSuffix(err.Error(), "line 1999") {
				t.Errorf("error does not end with the last line: ...%q", err.Error()[len(err.Error())-40:])
			}
		})
	}
}

func TestRunTimeoutKillsHookAndChildren(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "sleep.pid")
	// The sleep is a child of the shell and holds its stderr: killing only
	// the shell would leave Run waiting for the sleep.
	path := script(t, dir, "hook", `echo starting >&2; sleep 100 & echo $! > "`+pidFile+`"; wait`)
	start := time.Now()
	err := Run("createContainer", specs.Hook{Path: path, Timeout: intp(1)}, testState())
	elapsed := time.Since(start)
	t.Logf("Run took %v", elapsed)
	if err == nil {
		t.Fatal("Run succeeded")
	}
	want := "createContainer hook " + path + ": timed out after 1s, killed: starting"
	if err.Error() != want {
		t.Errorf("error = %q\nwant %q", err, want)
	}
	if elapsed < time.Second || elapsed > 5*time.Second {
		t.Errorf("Run took %v, want about 1s", elapsed)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// waitGone waits for pid to die, or kills it and fails. A dead orphan may
// linger as a zombie until init reaps it, which counts as dead.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			// The state follows the parenthesised command name.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") Z") {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("process %d survived", pid)
}

func TestRunWithinTimeout(t *testing.T) {
	dir := t.TempDir()
	path := script(t, dir, "hook", "cat >/dev/null; exit 0")
	if err := Run("poststop", specs.Hook{Path: path, Timeout: intp(10)}, testState()); err != nil {
		t.Fatal(err)
	}
}

func TestRunLeftoverChildDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "bg.pid")
	// The background sleep inherits stdout and stderr and outlives the hook.
	path := script(t, dir, "hook", `sleep 30 & echo $! > "`+pidFile+`"; exit 0`)
	start := time.Now()
	err := Run("poststart", specs.Hook{Path: path}, testState())
	elapsed := time.Since(start)
	t.Logf("Run took %v", elapsed)
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(t, pid)
		}
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if elapsed > waitDelay+2*time.Second {
		t.Errorf("Run took %v, the leftover child blocked it", elapsed)
	}
}

func TestRunHookIgnoresStdin(t *testing.T) {
	dir := t.TempDir()
	path := script(t, dir, "hook", "exit 0")
	st := testState()
	// More than a pipe holds: the hook exits without reading, and the
	// write of the state fails with EPIPE, which is not the hook's failure.
	st.Annotations["big"] = strings.Repeat("x", 1<<20)
	if err := Run("prestart", specs.Hook{Path: path}, st); err != nil {
		t.Fatal(err)
	}
}

func TestRunInvalid(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name  string
		hook  specs.Hook
		state *specs.State
		want  string
	}{
		{"relative path", specs.Hook{Path: "bin/true"}, testState(), "prestart hook bin/true: path must be absolute"},
		{"zero timeout", specs.Hook{Path: "/bin/true", Timeout: intp(0)}, testState(), "prestart hook /bin/true: timeout must be greater than zero, got 0"},
		{"negative timeout", specs.Hook{Path: "/bin/true", Timeout: intp(-2)}, testState(), "prestart hook /bin/true: timeout must be greater than zero, got -2"},
		{"no state", specs.Hook{Path: "/bin/true"}, nil, "prestart hook /bin/true: no container state to pass on stdin"},
		{"missing", specs.Hook{Path: missing}, testState(), "prestart hook " + missing + ": fork/exec " + missing + ": no such file or directory"},
		{"not executable", specs.Hook{Path: notExec}, testState(), "prestart hook " + notExec + ": fork/exec " + notExec + ": permission denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Run("prestart", tc.hook, tc.state)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestRunAllStopsAtFirstFailure(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	hs := []specs.Hook{
		{Path: script(t, dir, "one", `echo one >> "`+log+`"`)},
		{Path: script(t, dir, "two", `echo two >> "`+log+`"; echo 'two failed' >&2; exit 1`)},
		{Path: script(t, dir, "three", `echo three >> "`+log+`"`)},
	}
	err := RunAll("startContainer", hs, testState())
	if want := "startContainer hook " + hs[1].Path + ": exit status 1: two failed"; err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %q", err, want)
	}
	b, _ := os.ReadFile(log)
	if string(b) != "one\ntwo\n" {
		t.Errorf("hooks ran: %q, want one and two only", b)
	}

	if err := RunAll("startContainer", hs[:1], testState()); err != nil {
		t.Errorf("RunAll of a succeeding hook: %v", err)
	}
	if err := RunAll("startContainer", nil, testState()); err != nil {
		t.Errorf("RunAll of no hooks: %v", err)
	}
}
