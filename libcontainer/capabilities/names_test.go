package capabilities

import (
	"sort"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		num  int
		ok   bool
	}{
		{"CAP_CHOWN", 0, true},
		{"CAP_KILL", 5, true},
		{"CAP_NET_BIND_SERVICE", 10, true},
		{"CAP_SYS_ADMIN", 21, true},
		{"CAP_AUDIT_WRITE", 29, true},
		{"CAP_AUDIT_READ", 37, true},
		{"CAP_PERFMON", 38, true},
		{"CAP_BPF", 39, true},
		{"CAP_CHECKPOINT_RESTORE", 40, true},
		{"cap_chown", 0, false},
		{"CHOWN", 0, false},
		{"CAP_FOO", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := FromName(tt.name)
			if ok != tt.ok || (ok && n != tt.num) {
				t.Fatalf("FromName(%q) = %d, %t; want %d, %t", tt.name, n, ok, tt.num, tt.ok)
			}
			if ok && Name(n) != tt.name {
				t.Fatalf("Name(%d) = %q; want %q", n, Name(n), tt.name)
			}
		})
	}
}

func TestNameOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 41, 64, 1 << 20} {
		if got := Name(n); got != "" {
			t.Errorf("Name(%d) = %q; want \"\"", n, got)
		}
	}
}

func TestAll(t *testing.T) {
	all := All()
	if len(all) != 41 || MaxKnown != 40 {
		t.Fatalf("All() has %d entries, MaxKnown %d; want 41 and 40", len(all), MaxKnown)
	}
	seen := map[string]bool{}
	for i, n := range all {
		if n != i {
			t.Fatalf("All()[%d] = %d; want ascending numbers from 0", i, n)
		}
		name := Name(n)
		if name == "" || seen[name] {
			t.Fatalf("capability %d has empty or duplicate name %q", n, name)
		}
		seen[name] = true
		if back, ok := FromName(name); !ok || back != n {
			t.Fatalf("FromName(Name(%d)) = %d, %t", n, back, ok)
		}
	}
	names := Names()
	if len(names) != len(all) || !sort.StringsAreSorted(names) {
		t.Fatalf("Names() = %v; want %d sorted names", names, len(all))
	}
	// Callers own the returned slices.
	all[0] = 99
	names[0] = "x"
	if All()[0] != 0 || Names()[0] == "x" {
		t.Fatal("All/Names return shared storage")
	}
}
