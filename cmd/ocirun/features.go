package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
	"github.com/ocirun/ocirun/specconv"
)

// runtimeFeatures is what engines may ask of ocirun. It lists only what is
// implemented and tested: containerd and others act on it. sc is what the
// container init's libseccomp supports.
func runtimeFeatures(sc *seccomp.Support) *features.Features {
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
			Seccomp: &features.Seccomp{
				Enabled:        &yes,
				Actions:        seccomp.KnownActions(),
				Operators:      seccomp.Operators(),
				Archs:          sc.Archs,
				KnownFlags:     sc.KnownFlags,
				SupportedFlags: sc.SupportedFlags,
			},
			// Applied where the host has the LSM, but not tested on one.
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &no}},
			NetDevices:      &features.NetDevices{Enabled: &no},
		},
		Annotations: map[string]string{
			"io.github.ocirun.version":                   version,
			"io.github.ocirun.commit":                    gitCommit,
			"org.opencontainers.runc.checkpoint.enabled": "false",
			"io.github.seccomp.libseccomp.version":       sc.Version,
		},
	}
}

// seccompSupport asks the init binary, which links libseccomp.
func seccompSupport() (*seccomp.Support, error) {
	path, err := libcontainer.InitPath()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, initproto.SeccompSupportArg)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ask the container init %s what seccomp supports: %w", path, err)
	}
	var sc seccomp.Support
	if err := json.Unmarshal(out, &sc); err != nil {
		return nil, fmt.Errorf("seccomp support reported by %s: %w", path, err)
	}
	return &sc, nil
}

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the features this runtime implements, as runtime-spec's features JSON",
	Action: func(c *cli.Context) error {
		sc, err := seccompSupport()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(runtimeFeatures(sc))
	},
}
