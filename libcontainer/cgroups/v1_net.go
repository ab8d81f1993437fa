package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV1Network writes the net_cls class id and the net_prio priorities,
// which exist only on cgroup v1.
func setV1Network(w writeFunc, clsDir, prioDir string, n *specs.LinuxNetwork) error {
	if n.ClassID != nil {
		if err := w(clsDir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10)); err != nil {
			return err
		}
	}
	for _, p := range n.Priorities {
		if err := w(prioDir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return err
		}
	}
	return nil
}
