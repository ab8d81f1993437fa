package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
)

// Which configs the runtime builds itself, and which go through stage 1:
// each exception of runtimeBuilds, one at a time, on a config it builds.
func TestRuntimeBuilds(t *testing.T) {
	if !detachedProcfs() {
		t.Skip("the kernel has no fsopen(2)")
	}
	plain := func() *configs.Config {
		return &configs.Config{
			Rootfs:  "/rootfs",
			Process: &configs.Process{Args: []string{"sh"}},
			Namespaces: []configs.Namespace{
				{Type: configs.NEWNS}, {Type: configs.NEWPID}, {Type: configs.NEWNET, Path: "/run/netns/a"},
				{Type: configs.NEWUTS}, {Type: configs.NEWIPC}, {Type: configs.NEWCGROUP},
			},
			Mounts: []*configs.Mount{
				{Source: "proc", Destination: "/proc", Device: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
				{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: unix.MS_RDONLY},
				{Source: "/data", Destination: "/data", Device: "bind", Flags: unix.MS_BIND | unix.MS_REC | unix.MS_SYNCHRONOUS},
			},
			Hooks: &configs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}}, Poststart: []specs.Hook{{Path: "/bin/true"}}},
		}
	}
	if !runtimeBuilds(plain(), false) {
		t.Fatal("the plain config is not built by the runtime")
	}
	for name, change := range map[string]func(c *configs.Config) bool{
		"rootless": func(*configs.Config) bool { return true },
		"user namespace": func(c *configs.Config) bool {
			c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWUSER})
			return false
		},
		"joined user ns": func(c *configs.Config) bool {
			c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWUSER, Path: "/x"})
			return false
		},
		"joined mount ns":      func(c *configs.Config) bool { c.Namespaces[0].Path = "/proc/1/ns/mnt"; return false },
		"no mount ns":          func(c *configs.Config) bool { c.Namespaces = c.Namespaces[1:]; return false },
		"terminal":             func(c *configs.Config) bool { c.Process.Terminal = true; return false },
		"seccomp":              func(c *configs.Config) bool { c.Seccomp = &configs.Seccomp{}; return false },
		"mount label":          func(c *configs.Config) bool { c.MountLabel = "system_u:object_r:container_file_t:s0"; return false },
		"apparmor":             func(c *configs.Config) bool { c.Process.ApparmorProfile = "p"; return false },
		"selinux":              func(c *configs.Config) bool { c.Process.SelinuxLabel = "l"; return false },
		"createContainer hook": func(c *configs.Config) bool { c.Hooks.CreateContainer = []specs.Hook{{Path: "/x"}}; return false },
		"startContainer hook":  func(c *configs.Config) bool { c.Hooks.StartContainer = []specs.Hook{{Path: "/x"}}; return false },
		"id-mapped mount":      func(c *configs.Config) bool { c.Mounts[2].IDMapped = true; return false },
		"proc with a sb flag":  func(c *configs.Config) bool { c.Mounts[0].Flags |= unix.MS_SYNCHRONOUS; return false },
		"too many procfs": func(c *configs.Config) bool {
			for range initproto.MaxProcMounts {
				c.Mounts = append(c.Mounts, c.Mounts[0])
			}
			return false
		},
	} {
		c := plain()
		rootless := change(c)
		if runtimeBuilds(c, rootless) {
			t.Errorf("%s: built by the runtime, want stage 1", name)
		}
	}
}

func TestProcMountAttr(t *testing.T) {
	for _, c := range []struct {
		flags uint64
		attr  uint32
		ok    bool
	}{
		{0, 0, true},
		{unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, true},
		{unix.MS_RDONLY | unix.MS_NOATIME, unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOATIME, true},
		{unix.MS_STRICTATIME | unix.MS_NODIRATIME, unix.MOUNT_ATTR_STRICTATIME | unix.MOUNT_ATTR_NODIRATIME, true},
		{unix.MS_RELATIME, unix.MOUNT_ATTR_RELATIME, true},
		{unix.MS_NOSUID | unix.MS_DIRSYNC, 0, false},
		{unix.MS_REC, 0, false},
	} {
		attr, ok := procMountAttr(c.flags)
		if ok != c.ok || (ok && attr != c.attr) {
			t.Errorf("procMountAttr(%#x) = %#x, %v; want %#x, %v", c.flags, attr, ok, c.attr, c.ok)
		}
	}
}
