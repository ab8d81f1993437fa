package capabilities

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLastCap(t *testing.T) {
	n, err := LastCap()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(lastCapPath)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := strconv.Atoi(strings.TrimSpace(string(data))); n != want {
		t.Fatalf("LastCap() = %d; %s says %d", n, lastCapPath, want)
	}
	// Every kernel a container runtime can use knows at least CAP_AUDIT_READ.
	if n < unix.CAP_AUDIT_READ {
		t.Fatalf("LastCap() = %d; implausibly low", n)
	}
}

// TestBounding checks Bounding against the kernel's own report of this
// process's set. On a host whose bounding set is full this only shows the
// bits line up.
func TestBounding(t *testing.T) {
	got, err := Bounding()
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var want uint64
	found := false
	for _, line := range strings.Split(string(status), "\n") {
		val, ok := strings.CutPrefix(line, "CapBnd:")
		if !ok {
			continue
		}
		if want, err = strconv.ParseUint(strings.TrimSpace(val), 16, 64); err != nil {
			t.Fatalf("status line %q: %v", line, err)
		}
		found = true
	}
	if !found {
		t.Fatal("no CapBnd line in /proc/self/status")
	}
	if got != want {
		t.Fatalf("Bounding() = %#x; /proc/self/status says CapBnd %#x", got, want)
	}
}
