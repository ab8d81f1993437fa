package slack

import (
	"os/exec"
	"strings"
	"testing"
)

func childSlack(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	cmd := exec.Command("cat", "/proc/self/timerslack_ns")
	cmd.Stdout = &out
	if err := Start(cmd.Start); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

func TestStartGivesTheInheritedSlack(t *testing.T) {
	// A test binary starts at the runtime's own entry: nothing coarsened.
	if inheritedNs != 0 {
		t.Fatalf("inheritedNs = %d in a binary without prefault's entry", inheritedNs)
	}
	t.Cleanup(func() { inheritedNs = 0 })
	inheritedNs = 123457
	if got := childSlack(t); got != "123457" {
		t.Errorf("child's slack = %s, want 123457", got)
	}
}
