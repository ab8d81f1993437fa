package main

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
	"github.com/ocirun/ocirun/specconv"
)

// Every advertised item must be something specconv accepts: engines build
// configs from this list.
func TestFeaturesAreHonest(t *testing.T) {
	// What ocirun-init reports; this test links libseccomp itself.
	sc := seccomp.Probe()
	b, err := json.Marshal(runtimeFeatures(libcontainer.SeccompFeaturesOf(&sc), sc.Version))
	if err != nil {
		t.Fatal(err)
	}
	var f features.Features
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("features JSON does not decode into the spec's types: %v", err)
	}
	if f.OCIVersionMax != specs.Version || f.OCIVersionMin == "" {
		t.Errorf("version range %q..%q", f.OCIVersionMin, f.OCIVersionMax)
	}

	base := func() *specs.Spec {
		s := specconv.Example()
		s.Process.Terminal = false
		return s
	}
	opts := specconv.Options{Bundle: "/bundle", LastCap: capabilities.MaxKnown}

	for _, o := range f.MountOptions {
		s := base()
		m := specs.Mount{Destination: "/mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{o}}
		if o == "idmap" || o == "ridmap" {
			// Only bind mounts can be id-mapped.
			m = specs.Mount{Destination: "/mnt", Type: "bind", Source: "/tmp", Options: []string{o},
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}},
				GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}}
		}
		s.Mounts = append(s.Mounts, m)
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised mount option %q rejected: %v", o, err)
		}
	}
	for _, ns := range f.Linux.Namespaces {
		s := base()
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.LinuxNamespaceType(ns)})
		if ns == "user" {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
			s.Linux.GIDMappings = s.Linux.UIDMappings
		}
		if _, err := specconv.ToConfig(dedupNamespaces(s), opts); err != nil {
			t.Errorf("advertised namespace %q rejected: %v", ns, err)
		}
	}
	for _, c := range f.Linux.Capabilities {
		s := base()
		s.Process.Capabilities.Bounding = []string{c}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised capability %q rejected: %v", c, err)
		}
	}
	for _, a := range f.Linux.Seccomp.Actions {
		s := base()
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.LinuxSeccompAction(a)}}}
		if a == string(specs.ActNotify) {
			s.Linux.Seccomp.ListenerPath = "/run/agent.sock"
		}
		if a == string(specs.ActAllow) {
			s.Linux.Seccomp.DefaultAction = specs.ActErrno
		}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised seccomp action %q rejected: %v", a, err)
		}
	}
	for _, h := range f.Hooks {
		s := base()
		hook := []specs.Hook{{Path: "/bin/true"}}
		s.Hooks = &specs.Hooks{}
		switch h {
		case "prestart":
			s.Hooks.Prestart = hook //nolint:staticcheck // deprecated, still supported
		case "createRuntime":
			s.Hooks.CreateRuntime = hook
		case "createContainer":
			s.Hooks.CreateContainer = hook
		case "startContainer":
			s.Hooks.StartContainer = hook
		case "poststart":
			s.Hooks.Poststart = hook
		case "poststop":
			s.Hooks.Poststop = hook
		default:
			t.Errorf("unknown hook phase %q advertised", h)
		}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised hook %q rejected: %v", h, err)
		}
	}
	if *f.Linux.NetDevices.Enabled {
		s := base()
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "ctr0"}}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised netDevices rejected: %v", err)
		}
	}
	for _, m := range f.Linux.MemoryPolicy.Modes {
		s := base()
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(m), Nodes: "0"}
		if m == string(specs.MpolDefault) || m == string(specs.MpolLocal) {
			s.Linux.MemoryPolicy.Nodes = ""
		}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised memory policy mode %q rejected: %v", m, err)
		}
	}
	for _, fl := range f.Linux.MemoryPolicy.Flags {
		s := base()
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MemoryPolicyFlagType(fl)}}
		if _, err := specconv.ToConfig(s, opts); err != nil {
			t.Errorf("advertised memory policy flag %q rejected: %v", fl, err)
		}
	}
	// What features calls disabled, specconv refuses.
	s := base()
	s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "x"}
	if _, err := specconv.ToConfig(s, opts); *f.Linux.IntelRdt.Enabled || err == nil {
		t.Errorf("intelRdt: features say enabled=%t, ToConfig: %v", *f.Linux.IntelRdt.Enabled, err)
	}
	if !*f.Linux.Cgroup.Systemd || *f.Linux.Cgroup.SystemdUser {
		t.Error("features must advertise the systemd cgroup driver, and not the user instance's")
	}
	if *f.Linux.Apparmor.Enabled || *f.Linux.Selinux.Enabled {
		t.Error("features advertise something that is not implemented")
	}
	// Id-mapped mounts are advertised, so the config an engine then sends
	// must convert.
	s = base()
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/tmp", Options: []string{"rbind", "ridmap"},
		UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}},
		GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}})
	if _, err := specconv.ToConfig(s, opts); !*f.Linux.MountExtensions.IDMap.Enabled || err != nil {
		t.Errorf("idmap: features say enabled=%t, ToConfig: %v", *f.Linux.MountExtensions.IDMap.Enabled, err)
	}
}

func dedupNamespaces(s *specs.Spec) *specs.Spec {
	seen := map[specs.LinuxNamespaceType]bool{}
	var out []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if !seen[ns.Type] {
			seen[ns.Type] = true
			out = append(out, ns)
		}
	}
	s.Linux.Namespaces = out
	return s
}
