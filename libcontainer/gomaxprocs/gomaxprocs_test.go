package gomaxprocs

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

type probeReport struct {
	GOMAXPROCS int      `json:"gomaxprocs"`
	FromEntry  bool     `json:"fromEntry"`
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	PageSize   int      `json:"pageSize"`
}

// The entry gives the runtime one P from its start, and neither the
// arguments nor the environment the command sees change; a GOMAXPROCS of
// the user's wins. Without the entry the init gives the P up.
func TestEntrySetsOneP(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the probe with")
	}
	dir := t.TempDir()
	build := func(name string, ldflags ...string) string {
		t.Helper()
		out := filepath.Join(dir, name)
		args := append([]string{"build", "-o", out}, ldflags...)
		cmd := exec.Command(goTool, append(args, "./testdata/probe")...)
		cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return out
	}
	run := func(bin string, env []string, args ...string) probeReport {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, out)
		}
		var r probeReport
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("probe printed %q: %v", out, err)
		}
		return r
	}
	// The entry's symbol; package prefault's EntrySymbol, which this
	// package cannot import (prefault imports it).
	const entrySymbol = "github.com/ocirun/ocirun/libcontainer/prefault.entry"
	withEntry := build("with-entry", "-ldflags=-E "+entrySymbol)
	without := build("without-entry")

	args := []string{"a", "", "b c", "GOMAXPROCS=2"}
	env := []string{"A=1", "GOMAXPROCSX=4", "XGOMAXPROCS=5", "GOMAXPROC=6", "EMPTY="}
	cases := []struct {
		name      string
		bin       string
		env       []string
		want      int // 0: the runtime's own default
		fromEntry bool
	}{
		{"entry", withEntry, env, 1, runtime.GOARCH == "amd64"},
		{"entry, empty environment", withEntry, []string{}, 1, runtime.GOARCH == "amd64"},
		{"entry, user's GOMAXPROCS", withEntry, append(slices.Clone(env), "GOMAXPROCS=3"), 3, false},
		{"entry, user's GOMAXPROCS first", withEntry, append([]string{"GOMAXPROCS=3"}, env...), 3, false},
		{"entry, user's empty GOMAXPROCS", withEntry, append(slices.Clone(env), "GOMAXPROCS="), 0, false},
		{"no entry", without, env, 1, false},
		{"no entry, user's GOMAXPROCS", without, append(slices.Clone(env), "GOMAXPROCS=3"), 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(c.bin, c.env, args...)
			if c.want != 0 && r.GOMAXPROCS != c.want {
				t.Errorf("GOMAXPROCS = %d, want %d", r.GOMAXPROCS, c.want)
			}
			if r.FromEntry != c.fromEntry {
				t.Errorf("FromEntry() = %v, want %v", r.FromEntry, c.fromEntry)
			}
			if !slices.Equal(r.Args, args) {
				t.Errorf("arguments %q, want %q", r.Args, args)
			}
			if !slices.Equal(r.Env, c.env) {
				t.Errorf("environment %q, want %q", r.Env, c.env)
			}
			if r.PageSize != os.Getpagesize() {
				t.Errorf("page size %d (from auxv), want %d", r.PageSize, os.Getpagesize())
			}
		})
	}
}
