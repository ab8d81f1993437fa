package specconv

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestExample(t *testing.T) {
	s := Example()
	if err := checkVersion(s.Version); err != nil {
		t.Fatal(err)
	}
	p := s.Process
	if !p.Terminal || !slices.Equal(p.Args, []string{"sh"}) || p.Cwd != "/" || !p.NoNewPrivileges || s.Hostname != "ocirun" {
		t.Errorf("process/hostname: %+v %q", p, s.Hostname)
	}
	if !s.Root.Readonly || s.Root.Path != "rootfs" {
		t.Errorf("root %+v", s.Root)
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	if !slices.Equal(p.Capabilities.Bounding, caps) || !slices.Equal(p.Capabilities.Effective, caps) || !slices.Equal(p.Capabilities.Permitted, caps) {
		t.Errorf("capabilities %+v", p.Capabilities)
	}
	var dests []string
	for _, m := range s.Mounts {
		dests = append(dests, m.Destination)
	}
	if !slices.Equal(dests, []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"}) {
		t.Errorf("mounts %v", dests)
	}
	var ns []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		ns = append(ns, n.Type)
	}
	if !slices.Equal(ns, []specs.LinuxNamespaceType{"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
		t.Errorf("namespaces %v", ns)
	}
	// Every call returns a fresh spec.
	s.Process.Capabilities.Bounding[0] = "x"
	s.Mounts[0].Destination = "x"
	if Example().Process.Capabilities.Bounding[0] != "CAP_AUDIT_WRITE" || Example().Mounts[0].Destination != "/proc" {
		t.Error("Example shares memory between calls")
	}

	var warnings []string
	c := mustConvert(t, Example(), collectWarnings(&warnings))
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
	if c.Rootfs != "/run/bundle/rootfs" || !c.Readonly || len(c.Devices) != 6 || len(c.MaskPaths) == 0 {
		t.Errorf("config %+v", c)
	}

	// The JSON has runc spec's keys.
	data, err := json.Marshal(Example())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"ociVersion":"1.`, `"terminal":true`, `"noNewPrivileges":true`, `"readonly":true`, `"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestExampleRootless(t *testing.T) {
	s := Example()
	ExampleRootless(s)
	var ns []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		ns = append(ns, n.Type)
	}
	if !slices.Equal(ns, []specs.LinuxNamespaceType{"pid", "ipc", "uts", "mount", "cgroup", "user"}) {
		t.Errorf("namespaces %v", ns)
	}
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	if !reflect.DeepEqual(s.Linux.UIDMappings, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uid, Size: 1}}) ||
		!reflect.DeepEqual(s.Linux.GIDMappings, []specs.LinuxIDMapping{{ContainerID: 0, HostID: gid, Size: 1}}) {
		t.Errorf("mappings %+v %+v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	if s.Linux.Resources != nil {
		t.Error("resources kept")
	}
	for _, m := range s.Mounts {
		for _, o := range m.Options {
			if strings.HasPrefix(o, "gid=") || strings.HasPrefix(o, "uid=") {
				t.Errorf("mount %s keeps %s", m.Destination, o)
			}
		}
		if m.Destination == "/sys" && (m.Source != "/sys" || !slices.Contains(m.Options, "rbind")) {
			t.Errorf("/sys is %+v; want an rbind of the host's", m)
		}
	}
	c := mustConvert(t, s, testOpts())
	if _, ok := c.Namespace(configs.NEWUSER); !ok {
		t.Error("no user namespace in the config")
	}
	if _, ok := c.Namespace(configs.NEWNET); ok {
		t.Error("network namespace kept")
	}
}
