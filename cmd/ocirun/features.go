package main

import (
	"encoding/json"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/specconv"
)

// runtimeFeatures is what engines may ask of ocirun. It lists only what is
// implemented and tested: containerd and others act on it. sec and
// libseccomp are what the container init's libseccomp supports
// (libcontainer.SeccompFeatures).
func runtimeFeatures(sec *features.Seccomp, libseccomp string) *features.Features {
	yes, no := true, false
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  specconv.MountOptions(),
		Linux: &features.Linux{
			Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
			Capabilities: capabilities.Names(),
			Cgroup: &features.Cgroup{
				V1: &yes, V2: &yes,
				// The systemd driver as root; rootless (user
				// instance) is not implemented.
				Systemd: &yes, SystemdUser: &no,
				// The rdma controller is written but no host here has it.
				Rdma: &no,
			},
			Seccomp: sec,
			// Applied where the host has the LSM, but not tested on one.
			Apparmor: &features.Apparmor{Enabled: &no},
			Selinux:  &features.Selinux{Enabled: &no},
			// Refused: no resctrl to test with here.
			IntelRdt: &features.IntelRdt{Enabled: &no, Schemata: &no, Monitoring: &no},
			MemoryPolicy: &features.MemoryPolicy{
				Modes: specconv.MemoryPolicyModes(),
				Flags: specconv.MemoryPolicyFlags(),
			},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &yes},
		},
		Annotations: map[string]string{
			"io.github.ocirun.version":                   version,
			"io.github.ocirun.commit":                    gitCommit,
			"org.opencontainers.runc.checkpoint.enabled": "false",
			"io.github.seccomp.libseccomp.version":       libseccomp,
		},
	}
}

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the features this runtime implements, as runtime-spec's features JSON",
	Action: func(c *cli.Context) error {
		sec, libseccomp, err := libcontainer.SeccompFeatures()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(runtimeFeatures(sec, libseccomp))
	},
}
