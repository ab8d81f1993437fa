package inside

import (
	"fmt"
	"sort"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// sysctlPath turns a dotted sysctl name into its path under /proc/sys: dots
// separate components, and a '/' stands for a dot inside a component
// ("net.ipv4.conf.eth0/100.rp_filter" is net/ipv4/conf/eth0.100/rp_filter).
func sysctlPath(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "/", ".")
	}
	return strings.Join(parts, "/")
}

// writeSysctls writes linux.sysctl. It runs before pivot_root, so nothing
// the container mounted over its own /proc is in the way, and goes through
// a private procfs handle (pathrs-lite checks each file really is procfs's
// own, with no mount over it): a write can reach only the sysctl it names.
// The sysctls are those of the init's namespaces (procfs resolves /proc/sys
// against the namespaces of the writer), so they are the container's; the
// runtime has refused namespaces joined by path that are its own.
func writeSysctls(cfg *configs.Config) error {
	if len(cfg.Sysctl) == 0 {
		return nil
	}
	names := make([]string, 0, len(cfg.Sysctl))
	for k := range cfg.Sysctl {
		names = append(names, k)
	}
	sort.Strings(names)
	proc, err := procfs.OpenUnsafeProcRoot()
	if err != nil {
		return fmt.Errorf("linux.sysctl: open a procfs handle: %w", err)
	}
	defer proc.Close()
	for _, k := range names {
		if err := writeSysctl(proc, k, cfg.Sysctl[k]); err != nil {
			return err
		}
	}
	return nil
}

func writeSysctl(proc *procfs.Handle, name, value string) error {
	h, err := proc.OpenRoot("sys/" + sysctlPath(name))
	if err != nil {
		return fmt.Errorf("linux.sysctl %s: %w", name, err)
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("linux.sysctl %s: open for writing: %w", name, err)
	}
	defer f.Close()
	if _, err := f.WriteString(value); err != nil {
		return fmt.Errorf("linux.sysctl %s=%q: %w", name, value, err)
	}
	return nil
}
