package cgroups

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExpandSlice(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{in: "system.slice", want: "/system.slice"},
		{in: "-.slice", want: "/"},
		{in: "a-b.slice", want: "/a.slice/a-b.slice"},
		{in: "a-b-c.slice", want: "/a.slice/a-b.slice/a-b-c.slice"},
		{in: "machine", err: "not a systemd slice name"},
		{in: ".slice", err: "not a systemd slice name"},
		{in: "a/b.slice", err: "not a systemd slice name"},
		{in: "a--b.slice", err: "empty component"},
		{in: "-a.slice", err: "empty component"},
		{in: "a-.slice", err: "empty component"},
		{in: "a b.slice", err: "characters"},
	} {
		got, err := ExpandSlice(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ExpandSlice(%q) = %q, %v; want error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseUnit(t *testing.T) {
	for _, tt := range []struct {
		path, id  string
		unit      Unit
		cgroup    string
		errSubstr string
	}{
		{path: "", id: "abc", unit: Unit{"system.slice", "ocirun-abc.scope"}, cgroup: "/system.slice/ocirun-abc.scope"},
		{path: "machine.slice:libpod:123", id: "x", unit: Unit{"machine.slice", "libpod-123.scope"}, cgroup: "/machine.slice/libpod-123.scope"},
		{path: ":cri-containerd:123", id: "x", unit: Unit{"system.slice", "cri-containerd-123.scope"}, cgroup: "/system.slice/cri-containerd-123.scope"},
		{path: "kubepods-besteffort.slice::c1", id: "x", unit: Unit{"kubepods-besteffort.slice", "-c1.scope"}, cgroup: "/kubepods.slice/kubepods-besteffort.slice/-c1.scope"},
		{path: "-.slice:p:n", id: "x", unit: Unit{"-.slice", "p-n.scope"}, cgroup: "/p-n.scope"},
		{path: "a:b", id: "x", errSubstr: "slice:prefix:name"},
		{path: "machine:p:n", id: "x", errSubstr: "not a systemd slice name"},
		{path: "machine.slice:p:", id: "x", errSubstr: "name part"},
		{path: "machine.slice:p:sub.slice", id: "x", errSubstr: "not supported"},
		{path: "machine.slice:p q:n", id: "x", errSubstr: "not a valid systemd unit name"},
	} {
		u, err := ParseUnit(tt.path, tt.id)
		if tt.errSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("ParseUnit(%q) = %+v, %v; want error with %q", tt.path, u, err, tt.errSubstr)
			}
			continue
		}
		if err != nil || u != tt.unit || u.CgroupPath() != tt.cgroup {
			t.Errorf("ParseUnit(%q) = %+v (%s), %v; want %+v (%s)", tt.path, u, u.CgroupPath(), err, tt.unit, tt.cgroup)
		}
	}
}

func props(p ...any) []UnitProperty {
	var out []UnitProperty
	for i := 0; i < len(p); i += 2 {
		out = append(out, UnitProperty{p[i].(string), p[i+1]})
	}
	return out
}

func TestUnitProperties(t *testing.T) {
	charDevs := map[int64]string{136: "pts", 5: "/dev/tty"}
	for _, tt := range []struct {
		name string
		r    *specs.LinuxResources
		mode Mode
		want []UnitProperty
		err  string
	}{
		{name: "nil", r: nil, mode: Unified},
		{name: "empty", r: &specs.LinuxResources{}, mode: Unified},
		{
			name: "memory v2",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Reservation: i64(1 << 20), Swap: i64(2 << 30)}},
			mode: Unified,
			want: props("MemoryMax", uint64(1<<30), "MemoryLow", uint64(1<<20), "MemorySwapMax", uint64(1<<30)),
		},
		{
			name: "memory unlimited v2",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			mode: Unified,
			want: props("MemoryMax", infinity, "MemorySwapMax", infinity),
		},
		{
			name: "memory v1",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30), Reservation: i64(1 << 20), Swap: i64(2 << 30)}},
			mode: Hybrid,
			want: props("MemoryLimit", uint64(1<<30)),
		},
		{
			name: "swap below limit",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(2 << 30), Swap: i64(1 << 30)}},
			mode: Unified,
			err:  "less than memory.limit",
		},
		{
			name: "cpu v2",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-1,3", Mems: "0"}},
			mode: Unified,
			want: props("CPUWeight", uint64(100), "CPUQuotaPeriodUSec", uint64(100000), "CPUQuotaPerSecUSec", uint64(500000),
				"AllowedCPUs", []byte{0x0b}, "AllowedMemoryNodes", []byte{0x01}),
		},
		{
			name: "cpu v1, quota rounded up, no cpuset property",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Quota: i64(12345), Cpus: "9"}},
			mode: Legacy,
			want: props("CPUShares", uint64(512), "CPUQuotaPerSecUSec", uint64(130000)),
		},
		{
			name: "cpu quota unlimited",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}},
			mode: Unified,
			want: props("CPUQuotaPerSecUSec", infinity),
		},
		{
			name: "allowed cpus past the first byte",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "8-9"}},
			mode: Unified,
			want: props("AllowedCPUs", []byte{0x00, 0x03}),
		},
		{
			name: "bad cpu list",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}},
			mode: Unified,
			err:  "AllowedCPUs",
		},
		{
			name: "pids",
			r:    &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(42)}},
			mode: Unified,
			want: props("TasksMax", uint64(42)),
		},
		{
			name: "pids zero and unlimited",
			r:    &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}},
			mode: Unified,
			want: props("TasksMax", uint64(1)),
		},
		{
			name: "pids unlimited",
			r:    &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			mode: Hybrid,
			want: props("TasksMax", infinity),
		},
		{
			name: "io weight v2",
			r:    &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}},
			mode: Unified,
			want: props("IOWeight", uint64(4950)),
		},
		{
			name: "blkio weight v1",
			r:    &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}},
			mode: Legacy,
			want: props("BlockIOWeight", uint64(500)),
		},
		{
			name: "devices: deny all, then allows",
			r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
				{Allow: true, Type: "c", Major: i64(136), Access: "rw"},
				{Allow: true, Type: "b", Access: "m"},
				{Allow: false, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"},
			}},
			mode: Unified,
			want: props("DevicePolicy", "strict", "DeviceAllow", []DeviceAllow{
				{"/dev/char/1:3", "rwm"}, {"char-pts", "rw"}, {"block-*", "m"},
			}),
		},
		{
			name: "devices: allow all",
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}},
			mode: Legacy,
			want: props("DevicePolicy", "auto", "DeviceAllow", []DeviceAllow{}),
		},
		{
			name: "devices: a major /proc/devices does not name",
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: i64(250), Access: "r"}}},
			mode: Unified,
			want: props("DevicePolicy", "auto", "DeviceAllow", []DeviceAllow{}),
		},
		{
			name: "devices: none allowed",
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{}},
			mode: Unified,
			want: props("DevicePolicy", "strict", "DeviceAllow", []DeviceAllow{}),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnitProperties(tt.r, tt.mode, charDevs, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error with %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseProcDevices(t *testing.T) {
	char, block := ParseProcDevices("Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n136 pts\n\nBlock devices:\n  8 sd\n259 blkext\n")
	if !reflect.DeepEqual(char, map[int64]string{1: "mem", 4: "tty", 136: "pts"}) {
		t.Errorf("char = %v", char)
	}
	if !reflect.DeepEqual(block, map[int64]string{8: "sd", 259: "blkext"}) {
		t.Errorf("block = %v", block)
	}
}
