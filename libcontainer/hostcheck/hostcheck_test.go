package hostcheck

import (
	"errors"
	"strings"
	"testing"
)

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
