package hostcheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSubIDCount(t *testing.T) {
	f := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(f, []byte("alice:100000:65536\n1000:300000:10\nbob:200000:65536\nalice:400000:5\nbroken line\n"), 0o644)
	for _, tc := range []struct {
		name string
		uid  int
		want uint64
	}{
		{"alice", 1000, 65536 + 10 + 5}, // by name and by number
		{"bob", 1001, 65536},
		{"carol", 1002, 0},
	} {
		got, err := subIDCount(f, tc.name, tc.uid)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
	if n, err := subIDCount(filepath.Join(t.TempDir(), "none"), "alice", 1000); n != 0 || err != nil {
		t.Errorf("missing file: got %d, %v; want 0, nil", n, err)
	}
}

func TestReportFailedOnlyOnMissing(t *testing.T) {
	r := &Report{}
	r.ok("g", "a", "fine")
	r.degraded("g", "b", "partly", "do this")
	if r.Failed() {
		t.Error("degraded counts as failed")
	}
	r.result("g", "c", errors.New("broken\nbadly"), "", Missing, "fix it")
	if !r.Failed() {
		t.Error("missing does not count as failed")
	}
	if d := r.Items[2].Detail; d != "broken; badly" {
		t.Errorf("detail is not one line: %q", d)
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"fix: do this", "fix: fix it", "1 ok, 1 degraded, 1 missing\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestProbeResults(t *testing.T) {
	r := probeResults{"tmpfs": "", "overlay": "mount overlay: no such device"}
	if err := r.get("tmpfs"); err != nil {
		t.Errorf("tmpfs: %v", err)
	}
	if err := r.get("overlay"); err == nil || err.Error() != "mount overlay: no such device" {
		t.Errorf("overlay: %v", err)
	}
	if err := r.get("seccomp"); err == nil {
		t.Error("a probe that did not run counts as a success")
	}
}
