package containerinit

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// procNsNames are the /proc/PID/ns entries of the namespaces sysctls live in.
var procNsNames = map[configs.NamespaceType]string{
	configs.NEWNET: "net",
	configs.NEWIPC: "ipc",
	configs.NEWUTS: "uts",
}

// sysctlNamespace is the namespace that owns a sysctl. specconv admits only
// these kinds: net.*, the System V IPC and mqueue ones, kernel.domainname.
func sysctlNamespace(name string) configs.NamespaceType {
	switch {
	case strings.HasPrefix(name, "net."):
		return configs.NEWNET
	case name == "kernel.domainname" || name == "kernel.hostname":
		return configs.NEWUTS
	}
	return configs.NEWIPC
}

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
// against the namespaces of the writer), so they are the container's.
func writeSysctls(cfg *configs.Config) error {
	if len(cfg.Sysctl) == 0 {
		return nil
	}
	names := make([]string, 0, len(cfg.Sysctl))
	for k := range cfg.Sysctl {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := notHostNamespace(cfg, k); err != nil {
			return err
		}
	}
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

// notHostNamespace refuses a sysctl whose namespace the container joined by
// path when that path is the runtime's own namespace: the write would change
// the host. specconv cannot see this. The runtime is the init's parent (it
// adopts the init as a subreaper when stage 0 exits); before pivot_root,
// /proc is still the runtime's, which shows that parent's pid.
func notHostNamespace(cfg *configs.Config, name string) error {
	t := sysctlNamespace(name)
	ns, ok := cfg.Namespace(t)
	if !ok || ns.Path == "" {
		return nil
	}
	same, err := sameNamespaceAsParent(procNsNames[t])
	if err != nil {
		return fmt.Errorf("linux.sysctl %s: compare the %s namespace joined by path (%s) with the runtime's: %w", name, t, ns.Path, err)
	}
	if same {
		return fmt.Errorf("linux.sysctl %s: not allowed: the %s namespace joined by path (%s) is the runtime's own", name, t, ns.Path)
	}
	return nil
}

// sameNamespaceAsParent reports whether this process and its parent share
// the namespace /proc/PID/ns/nsName.
func sameNamespaceAsParent(nsName string) (bool, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return false, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold anything: state, ppid, ...
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return false, fmt.Errorf("/proc/self/stat: unexpected format %q", stat)
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return false, fmt.Errorf("/proc/self/stat: unexpected format %q", stat)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil || ppid <= 0 {
		return false, fmt.Errorf("/proc/self/stat: no parent pid in %q", stat)
	}
	return sameFile("/proc/self/ns/"+nsName, "/proc/"+strconv.Itoa(ppid)+"/ns/"+nsName)
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
