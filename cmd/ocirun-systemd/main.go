// Command ocirun-systemd makes ocirun's calls to systemd's D-Bus API for
// the systemd cgroup driver: it reads one request (package
// libcontainer/cgroups/systemd) as JSON on stdin, carries it out and
// exits 0, or prints one line naming the cause on stderr and exits 1.
// It is a program of its own so that the D-Bus packages are linked into
// it and not into ocirun, where every command would pay for their
// initialisation.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd/sdbus"
	// The heap in one huge page, before most packages allocate; and
	// the entry point the Makefile links the binary with.
	_ "github.com/ocirun/ocirun/libcontainer/prefault"
)

func main() {
	var req systemd.Request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "%s: read request: %v\n", systemd.HelperBinary, err)
		os.Exit(1)
	}
	if err := sdbus.Run(&req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
