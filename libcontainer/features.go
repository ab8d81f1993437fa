package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// SeccompFeatures is linux.seccomp of "features": what the container
// init's libseccomp and the running kernel support, and libseccomp's
// version. The runtime has no libseccomp of its own; it asks the init
// binary.
func SeccompFeatures() (*features.Seccomp, string, error) {
	path, err := InitPath()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(path, initproto.SeccompSupportArg)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("ask the container init %s what seccomp supports: %w", path, err)
	}
	var sc seccomp.Support
	if err := json.Unmarshal(out, &sc); err != nil {
		return nil, "", fmt.Errorf("seccomp support reported by %s: %w", path, err)
	}
	return SeccompFeaturesOf(&sc), sc.Version, nil
}

// SeccompFeaturesOf turns what a libseccomp reports into the features
// entry; every action and operator listed is one the init compiles.
func SeccompFeaturesOf(sc *seccomp.Support) *features.Seccomp {
	yes := true
	return &features.Seccomp{
		Enabled:        &yes,
		Actions:        seccomp.KnownActions(),
		Operators:      seccomp.Operators(),
		Archs:          sc.Archs,
		KnownFlags:     sc.KnownFlags,
		SupportedFlags: sc.SupportedFlags,
	}
}
