package rootfs

import (
	"testing"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestWithMountLabel(t *testing.T) {
	const label = "system_u:object_r:container_file_t:s0:c1,c2"
	for _, tc := range []struct {
		name  string
		m     configs.Mount
		label string
		want  string
	}{
		{"no label", configs.Mount{Device: "tmpfs", Data: "mode=755"}, "", "mode=755"},
		{"tmpfs with data", configs.Mount{Device: "tmpfs", Data: "mode=755"}, label, `mode=755,context="` + label + `"`},
		{"mqueue without data", configs.Mount{Device: "mqueue"}, label, `context="` + label + `"`},
		{"devpts", configs.Mount{Device: "devpts", Data: "newinstance"}, label, `newinstance,context="` + label + `"`},
		{"proc keeps its own", configs.Mount{Device: "proc"}, label, ""},
		{"bind keeps the source's", configs.Mount{Device: "bind", Flags: 0x1000}, label, ""},
		{"explicit context wins", configs.Mount{Device: "tmpfs", Data: `context="x"`}, label, `context="x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := tc.m
			got := withMountLabel(&tc.m, tc.label)
			if got.Data != tc.want {
				t.Errorf("data = %q, want %q", got.Data, tc.want)
			}
			if tc.m.Data != orig.Data {
				t.Errorf("the config's mount was modified: %+v", tc.m)
			}
		})
	}
}
