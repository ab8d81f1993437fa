package sdbus

import (
	"errors"
	"strings"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
)

func names(props []sd.Property) string {
	var out []string
	for _, p := range props {
		out = append(out, p.Name+"="+p.Value.String())
	}
	return strings.Join(out, " ")
}

func TestUnitProperties(t *testing.T) {
	limit := int64(42)
	r := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	ann := map[string]string{systemd.AnnotationPrefix + "TimeoutStopSec": "5", "other": "x"}
	for _, tt := range []struct {
		name string
		req  systemd.Request
		want string
		err  string
	}{
		{
			name: "start v2",
			req:  systemd.Request{Op: systemd.OpStart, Unit: "p-n.scope", Slice: "a-b.slice", Pid: 7, Mode: cgroups.Unified, Resources: r, Annotations: ann},
			want: `Description="ocirun container p-n" Slice="a-b.slice" PIDs=@au [7] Delegate=true DefaultDependencies=false ` +
				`MemoryAccounting=true CPUAccounting=true TasksAccounting=true IOAccounting=true TasksMax=@t 42 TimeoutStopUSec=@t 5000000`,
		},
		{
			name: "start v1",
			req:  systemd.Request{Op: systemd.OpStart, Unit: "p-n.scope", Slice: "system.slice", Pid: 7, Mode: cgroups.Hybrid},
			want: `Description="ocirun container p-n" Slice="system.slice" PIDs=@au [7] Delegate=true DefaultDependencies=false ` +
				`MemoryAccounting=true CPUAccounting=true TasksAccounting=true BlockIOAccounting=true`,
		},
		{
			name: "set sends only the resources",
			req:  systemd.Request{Op: systemd.OpSet, Unit: "p-n.scope", Mode: cgroups.Unified, Resources: r, Annotations: ann},
			want: "TasksMax=@t 42",
		},
		{
			name: "start without a pid",
			req:  systemd.Request{Op: systemd.OpStart, Unit: "p-n.scope", Slice: "system.slice", Mode: cgroups.Unified},
			err:  "p-n.scope: a scope needs a first process",
		},
		{
			name: "bad annotation names the unit",
			req:  systemd.Request{Op: systemd.OpStart, Unit: "p-n.scope", Slice: "system.slice", Pid: 1, Annotations: map[string]string{systemd.AnnotationPrefix + "x": "1"}},
			err:  "systemd unit p-n.scope: annotation org.systemd.property.x",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitProperties(&tt.req)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %s, %v; want error with %q", names(got), err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := names(got); s != tt.want {
				t.Errorf("got  %s\nwant %s", s, tt.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	props := []sd.Property{prop("MemoryMax", uint64(1)), prop("MemorySwapMax", uint64(2))}
	err := explain(godbus.Error{Name: "org.freedesktop.DBus.Error.InvalidArgs", Body: []any{"Cannot set property MemorySwapMax, or unknown property."}}, props)
	if !strings.HasPrefix(err.Error(), "property MemorySwapMax=@t 2: ") || !strings.Contains(err.Error(), "Cannot set property") {
		t.Errorf("explain: %v", err)
	}
	plain := errors.New("connection reset")
	if got := explain(plain, props); got != plain {
		t.Errorf("explain of a non-D-Bus error: %v", got)
	}
	other := godbus.Error{Name: "org.freedesktop.DBus.Error.Failed", Body: []any{"Unit is masked."}}
	if got := explain(other, props); got.Error() != "Unit is masked." {
		t.Errorf("explain without a property: %v", got)
	}
}
