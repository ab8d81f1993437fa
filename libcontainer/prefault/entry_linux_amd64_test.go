package prefault

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A binary linked with -E EntrySymbol starts with its code and its
// writable data and bss resident; without it, the bss that nothing wrote
// is not (which shows that the probe can tell).
func TestEntryMapsTheBinaryIn(t *testing.T) {
	dir := t.TempDir()
	build := func(name string, ldflags ...string) string {
		return buildProbe(t, "./testdata/probe", filepath.Join(dir, name), ldflags...)
	}
	// resident runs a probe: mapping name -> [size, rss] in KiB.
	resident := func(bin string) map[string][2]int {
		t.Helper()
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, out)
		}
		m := map[string][2]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var name string
			var size, rss int
			if _, err := fmt.Sscan(line, &name, &size, &rss); err != nil {
				t.Fatalf("probe printed %q: %v", line, err)
			}
			v := m[name]
			m[name] = [2]int{v[0] + size, v[1] + rss}
		}
		return m
	}

	with := resident(build("with-entry", "-ldflags=-E "+EntrySymbol))
	for _, name := range []string{"text", "data", "bss"} {
		v, ok := with[name]
		if !ok {
			t.Fatalf("the probe found no %s mapping of its binary: %v", name, with)
		}
		if v[1] < v[0] {
			t.Errorf("with the entry, %d of %d KiB of the %s are resident, want all", v[1], v[0], name)
		}
	}
	without := resident(build("without-entry"))
	t.Logf("KiB (size, resident) with the entry: %v; without: %v", with, without)
	if v := without["bss"]; v[1] >= v[0] {
		t.Errorf("without the entry, %d of %d KiB of the bss are resident: the probe cannot tell", v[1], v[0])
	}
}

// buildProbe builds the command in pkg (a directory under testdata) as a
// static pure-Go binary at out, with extra build flags.
func buildProbe(t *testing.T, pkg, out string, flags ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the probe with")
	}
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.Command(goTool, append(args, pkg)...)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// The Makefile names the entry by its linker symbol, a string Go cannot
// check: a rename here must reach it.
func TestMakefileLinksTheEntry(t *testing.T) {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "-E "+EntrySymbol) {
		t.Errorf("the Makefile does not link the pure-Go binaries with -E %s", EntrySymbol)
	}
}

type envProbeReport struct {
	GOMAXPROCS int      `json:"gomaxprocs"`
	FromEntry  bool     `json:"fromEntry"`
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	PageSize   int      `json:"pageSize"`
}

// The entry gives the runtime one P from its start (package gomaxprocs),
// and neither the arguments nor the environment the command sees change;
// a GOMAXPROCS of the user's wins. Without the entry gomaxprocs' init gives
// the P up.
func TestEntrySetsOneP(t *testing.T) {
	dir := t.TempDir()
	run := func(bin string, env []string, args ...string) envProbeReport {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, out)
		}
		var r envProbeReport
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("probe printed %q: %v", out, err)
		}
		return r
	}
	withEntry := buildProbe(t, "./testdata/envprobe", filepath.Join(dir, "with-entry"), "-ldflags=-E "+EntrySymbol)
	without := buildProbe(t, "./testdata/envprobe", filepath.Join(dir, "without-entry"))

	args := []string{"a", "", "b c", "GOMAXPROCS=2"}
	env := []string{"A=1", "GOMAXPROCSX=4", "XGOMAXPROCS=5", "GOMAXPROC=6", "EMPTY="}
	cases := []struct {
		name      string
		bin       string
		env       []string
		want      int // 0: the runtime's own default
		fromEntry bool
	}{
		{"entry", withEntry, env, 1, true},
		{"entry, empty environment", withEntry, []string{}, 1, true},
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
