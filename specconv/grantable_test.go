package specconv

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// bitmask returns a Grantable that allows exactly the capabilities in set.
func bitmask(set uint64) func(int) bool {
	return func(n int) bool { return set&(1<<uint(n)) != 0 }
}

// This host's bounding set: everything up to CAP_CHECKPOINT_RESTORE except
// CAP_SYS_RESOURCE (CapBnd 000001fffeffffff).
const hostBounding = uint64(0x000001fffeffffff)

func TestCapabilitiesGrantable(t *testing.T) {
	const (
		chown    = unix.CAP_CHOWN
		kill     = unix.CAP_KILL
		resource = unix.CAP_SYS_RESOURCE
		admin    = unix.CAP_SYS_ADMIN
	)
	all := []string{"CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_KILL"}
	tests := []struct {
		name      string
		caps      specs.LinuxCapabilities
		lastCap   int
		grantable func(int) bool
		want      configs.Capabilities
		warnings  []string
		errPath   string
		errMsg    string
	}{
		{
			name:      "nil Grantable keeps every capability",
			caps:      specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all, Inheritable: all, Ambient: all},
			lastCap:   40,
			grantable: nil,
			want: configs.Capabilities{
				Bounding: []int{chown, resource, kill}, Effective: []int{chown, resource, kill},
				Permitted: []int{chown, resource, kill}, Inheritable: []int{chown, resource, kill},
				Ambient: []int{chown, resource, kill},
			},
		},
		{
			name:      "a capability outside the runtime's bounding set is dropped from every set, with one warning",
			caps:      specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all, Inheritable: all, Ambient: all},
			lastCap:   40,
			grantable: bitmask(hostBounding),
			want: configs.Capabilities{
				Bounding: []int{chown, kill}, Effective: []int{chown, kill},
				Permitted: []int{chown, kill}, Inheritable: []int{chown, kill},
				Ambient: []int{chown, kill},
			},
			warnings: []string{
				"process.capabilities (bounding, effective, inheritable, permitted, ambient): CAP_SYS_RESOURCE: not in the runtime's own bounding set, so it cannot be granted; dropped",
			},
		},
		{
			// Dropped as ungrantable before the effective-needs-permitted
			// rule runs, so it is reported once, for the real reason.
			name:      "effective only: one warning, not a second one about permitted",
			caps:      specs.LinuxCapabilities{Effective: []string{"CAP_SYS_RESOURCE"}},
			lastCap:   40,
			grantable: bitmask(hostBounding),
			want:      configs.Capabilities{},
			warnings: []string{
				"process.capabilities.effective: CAP_SYS_RESOURCE: not in the runtime's own bounding set, so it cannot be granted; dropped",
			},
		},
		{
			name:      "an empty runtime bounding set drops everything",
			caps:      specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			lastCap:   40,
			grantable: bitmask(0),
			want:      configs.Capabilities{},
			warnings: []string{
				"process.capabilities (bounding, permitted): CAP_KILL: not in the runtime's own bounding set, so it cannot be granted; dropped",
			},
		},
		{
			name:      "above cap_last_cap wins over the bounding set",
			caps:      specs.LinuxCapabilities{Bounding: []string{"CAP_BPF", "CAP_SYS_ADMIN"}},
			lastCap:   38,
			grantable: bitmask(1 << admin),
			want:      configs.Capabilities{Bounding: []int{admin}},
			warnings: []string{
				"process.capabilities.bounding: CAP_BPF: not supported by the running kernel (cap_last_cap is 38); dropped",
			},
		},
		{
			name:      "duplicates warn once",
			caps:      specs.LinuxCapabilities{Bounding: []string{"CAP_SYS_RESOURCE", "CAP_KILL", "CAP_SYS_RESOURCE"}},
			lastCap:   40,
			grantable: bitmask(hostBounding),
			want:      configs.Capabilities{Bounding: []int{kill}},
			warnings: []string{
				"process.capabilities.bounding: CAP_SYS_RESOURCE: not in the runtime's own bounding set, so it cannot be granted; dropped",
			},
		},
		{
			// What "runc spec" of runc before 1.2 writes: an ambient set
			// and no inheritable one.
			name: "ambient without inheritable: one warning for the set",
			caps: specs.LinuxCapabilities{
				Bounding: []string{"CAP_AUDIT_WRITE", "CAP_KILL"}, Permitted: []string{"CAP_AUDIT_WRITE", "CAP_KILL"},
				Effective: []string{"CAP_AUDIT_WRITE", "CAP_KILL"}, Ambient: []string{"CAP_AUDIT_WRITE", "CAP_KILL"},
			},
			lastCap:   40,
			grantable: bitmask(hostBounding),
			want: configs.Capabilities{
				Bounding: []int{unix.CAP_AUDIT_WRITE, kill}, Permitted: []int{unix.CAP_AUDIT_WRITE, kill},
				Effective: []int{unix.CAP_AUDIT_WRITE, kill},
			},
			warnings: []string{
				"process.capabilities.ambient: CAP_AUDIT_WRITE, CAP_KILL: not in both the permitted and the inheritable set, so not ambient; dropped",
			},
		},
		{
			// A wrong name is a mistake in the configuration, not a limit
			// of the host, so it stays an error even when nothing could be
			// granted anyway.
			name:      "an unknown name is still an error",
			caps:      specs.LinuxCapabilities{Permitted: []string{"CAP_SYS_RESOURCE", "CAP_SYS_RESORCE"}},
			lastCap:   40,
			grantable: bitmask(0),
			errPath:   "process.capabilities.permitted[1]",
			errMsg:    `unknown capability "CAP_SYS_RESORCE"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []string
			o := collectWarnings(&warnings)
			o.LastCap = tt.lastCap
			o.Grantable = tt.grantable
			caps := tt.caps
			got, err := ToProcess(&specs.Process{Args: []string{"sh"}, Cwd: "/", Capabilities: &caps}, o)
			if tt.errPath != "" {
				checkFieldErr(t, err, tt.errPath, tt.errMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameCaps(got.Capabilities, &tt.want) {
				t.Errorf("got %+v\nwant %+v", got.Capabilities, tt.want)
			}
			if !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.warnings, "\n"))
			}
		})
	}
}

// sameCaps compares capability sets treating nil and empty sets alike.
func sameCaps(a, b *configs.Capabilities) bool {
	if a == nil || b == nil {
		return a == b
	}
	eq := func(x, y []int) bool { return len(x) == 0 && len(y) == 0 || reflect.DeepEqual(x, y) }
	return eq(a.Bounding, b.Bounding) && eq(a.Effective, b.Effective) && eq(a.Permitted, b.Permitted) &&
		eq(a.Inheritable, b.Inheritable) && eq(a.Ambient, b.Ambient)
}

// TestToConfigGrantable is the OCI validation suite's process_capabilities
// case on this host: a config asking for every capability must create, with
// CAP_SYS_RESOURCE dropped and one warning naming every set.
func TestToConfigGrantable(t *testing.T) {
	g := newGen(t)
	names := capabilities.Names()
	s := g.Config
	s.Process.Capabilities = &specs.LinuxCapabilities{
		Bounding: names, Effective: names, Permitted: names, Inheritable: names, Ambient: names,
	}
	var warnings []string
	o := collectWarnings(&warnings)
	o.Grantable = bitmask(hostBounding)
	c := mustConvert(t, s, o)
	var want []int
	for n := 0; n <= capabilities.MaxKnown; n++ {
		if n != unix.CAP_SYS_RESOURCE {
			want = append(want, n)
		}
	}
	got := c.Process.Capabilities
	for set, caps := range map[string][]int{
		"bounding": got.Bounding, "effective": got.Effective, "permitted": got.Permitted,
		"inheritable": got.Inheritable, "ambient": got.Ambient,
	} {
		if !sameSet(caps, want) {
			t.Errorf("%s = %v; want every known capability but CAP_SYS_RESOURCE", set, caps)
		}
	}
	want1 := []string{"process.capabilities (bounding, effective, inheritable, permitted, ambient): CAP_SYS_RESOURCE: " + "not in the runtime's own bounding set, so it cannot be granted; dropped"}
	if !reflect.DeepEqual(warnings, want1) {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), want1[0])
	}
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[int]bool{}
	for _, n := range a {
		m[n] = true
	}
	for _, n := range b {
		if !m[n] {
			return false
		}
	}
	return true
}

// TestOptionsCapability covers the resolver exec --cap shares with the
// config paths.
func TestOptionsCapability(t *testing.T) {
	tests := []struct {
		name      string
		lastCap   int
		grantable func(int) bool
		wantN     int
		wantOK    bool
		wantErr   string
		wantWarn  string
	}{
		{name: "CAP_KILL", lastCap: 40, grantable: bitmask(hostBounding), wantN: unix.CAP_KILL, wantOK: true},
		{name: "CAP_SYS_RESOURCE", lastCap: 40, grantable: bitmask(hostBounding), wantN: unix.CAP_SYS_RESOURCE,
			wantWarn: "--cap: CAP_SYS_RESOURCE: not in the runtime's own bounding set, so it cannot be granted; dropped"},
		{name: "CAP_SYS_RESOURCE", lastCap: 0, grantable: nil, wantN: unix.CAP_SYS_RESOURCE, wantOK: true},
		{name: "CAP_CHECKPOINT_RESTORE", lastCap: 39, grantable: nil, wantN: 40,
			wantWarn: "--cap: CAP_CHECKPOINT_RESTORE: not supported by the running kernel (cap_last_cap is 39); dropped"},
		{name: "cap_kill", lastCap: 40, wantErr: `--cap: unknown capability "cap_kill"`},
		{name: "", lastCap: 40, wantErr: `--cap: unknown capability ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warnings []string
			o := collectWarnings(&warnings)
			o.LastCap = tt.lastCap
			o.Grantable = tt.grantable
			n, ok, err := o.Capability("--cap", tt.name)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != tt.wantN || ok != tt.wantOK {
				t.Fatalf("= %d, %t, %v; want %d, %t, nil", n, ok, err, tt.wantN, tt.wantOK)
			}
			var want []string
			if tt.wantWarn != "" {
				want = []string{tt.wantWarn}
			}
			if !reflect.DeepEqual(warnings, want) {
				t.Fatalf("warnings %q; want %q", warnings, want)
			}
		})
	}
}

// exec --cap grants to bounding, effective and permitted (and ambient when
// inheritable allows), leaves the caller's sets alone, and drops what the
// runtime cannot grant.
func TestGrantCapabilities(t *testing.T) {
	var warnings []string
	o := collectWarnings(&warnings)
	o.LastCap = 40
	o.Grantable = bitmask(hostBounding)
	orig := &configs.Capabilities{Bounding: []int{0}, Effective: []int{0}, Permitted: []int{0}, Inheritable: []int{0}, Ambient: []int{0}}
	got, err := o.GrantCapabilities(orig, []string{"cap_kill", "CAP_SYS_RESOURCE"}, "--cap")
	if err != nil {
		t.Fatal(err)
	}
	want := &configs.Capabilities{Bounding: []int{0, unix.CAP_KILL}, Effective: []int{0, unix.CAP_KILL},
		Permitted: []int{0, unix.CAP_KILL}, Inheritable: []int{0}, Ambient: []int{0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if len(orig.Bounding) != 1 {
		t.Errorf("the caller's sets changed: %+v", orig)
	}
	if len(warnings) != 1 {
		t.Errorf("warnings %q; want one for CAP_SYS_RESOURCE", warnings)
	}
	if got, err := o.GrantCapabilities(nil, []string{"CAP_KILL"}, "--cap"); err != nil || !reflect.DeepEqual(got.Permitted, []int{unix.CAP_KILL}) {
		t.Errorf("from nil: %+v, %v", got, err)
	}
	// One the inheritable set holds becomes ambient too, as in runc 1.2.
	inh := &configs.Capabilities{Inheritable: []int{unix.CAP_KILL}}
	if got, err := o.GrantCapabilities(inh, []string{"CAP_KILL"}, "--cap"); err != nil || !reflect.DeepEqual(got.Ambient, []int{unix.CAP_KILL}) {
		t.Errorf("inheritable CAP_KILL: ambient %v, %v", got.Ambient, err)
	}
	if _, err := o.GrantCapabilities(nil, []string{"CAP_NOPE"}, "--cap"); err == nil || !strings.Contains(err.Error(), "--cap") {
		t.Errorf("unknown capability: %v", err)
	}
}
