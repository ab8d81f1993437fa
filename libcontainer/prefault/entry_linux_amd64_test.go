package prefault

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A binary linked with -E EntrySymbol starts with its code and its
// writable data and bss resident; without it, the bss that nothing wrote
// is not (which shows that the probe can tell).
func TestEntryMapsTheBinaryIn(t *testing.T) {
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
