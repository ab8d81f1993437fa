package specconv

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"
)

// TestToConfigErrors runs one broken field per case through ToConfig and
// checks the error names the field's JSON path.
func TestToConfigErrors(t *testing.T) {
	type spec = specs.Spec
	tests := []struct {
		name   string
		mutate func(g *generate.Generator, s *spec)
		opts   func(o *Options)
		path   string
		msg    string
	}{
		// Top level.
		{name: "no version", mutate: func(_ *generate.Generator, s *spec) { s.Version = "" }, path: "ociVersion", msg: "required"},
		{name: "version 2", mutate: func(_ *generate.Generator, s *spec) { s.Version = "2.0.0" }, path: "ociVersion", msg: `"2.0.0" is not a 1.x`},
		{name: "version 0.5", mutate: func(_ *generate.Generator, s *spec) { s.Version = "0.5.0" }, path: "ociVersion", msg: "not a 1.x"},
		{name: "version junk", mutate: func(_ *generate.Generator, s *spec) { s.Version = "1.x" }, path: "ociVersion", msg: "not a 1.x"},
		{name: "solaris", mutate: func(_ *generate.Generator, s *spec) { s.Solaris = &specs.Solaris{} }, path: "solaris", msg: "not supported"},
		{name: "windows", mutate: func(_ *generate.Generator, s *spec) { s.Windows = &specs.Windows{} }, path: "windows", msg: "not supported"},
		{name: "vm", mutate: func(_ *generate.Generator, s *spec) { s.VM = &specs.VM{} }, path: "vm", msg: "not supported"},
		{name: "zos", mutate: func(_ *generate.Generator, s *spec) { s.ZOS = &specs.ZOS{} }, path: "zos", msg: "not supported"},
		{name: "freebsd", mutate: func(_ *generate.Generator, s *spec) { s.FreeBSD = &specs.FreeBSD{} }, path: "freebsd", msg: "not supported"},
		{name: "annotation empty key", mutate: func(_ *generate.Generator, s *spec) { s.Annotations = map[string]string{"": "x"} }, path: "annotations", msg: "empty"},

		// root.
		{name: "no root", mutate: func(_ *generate.Generator, s *spec) { s.Root = nil }, path: "root", msg: "required"},
		{name: "empty root path", mutate: func(_ *generate.Generator, s *spec) { s.Root.Path = "" }, path: "root.path", msg: "required"},
		{name: "relative root without bundle", opts: func(o *Options) { o.Bundle = "" }, path: "root.path", msg: `"rootfs" is relative to the bundle`},
		{name: "relative root with relative bundle", opts: func(o *Options) { o.Bundle = "bundle" }, path: "root.path", msg: "not an absolute path"},

		// process.
		{name: "no process", mutate: func(_ *generate.Generator, s *spec) { s.Process = nil }, path: "process", msg: "required"},
		{name: "no args", mutate: func(g *generate.Generator, _ *spec) { g.Config.Process.Args = nil }, path: "process.args", msg: "must not be empty"},
		{name: "empty argv0", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessArgs([]string{"", "x"}) }, path: "process.args[0]", msg: "must not be empty"},
		{name: "NUL in arg", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessArgs([]string{"sh", "a\x00b"}) }, path: "process.args[1]", msg: "NUL"},
		{name: "commandLine", mutate: func(_ *generate.Generator, s *spec) { s.Process.CommandLine = "cmd /c dir" }, path: "process.commandLine", msg: "not supported"},
		{name: "no cwd", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessCwd("") }, path: "process.cwd", msg: "required"},
		{name: "relative cwd", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessCwd("home") }, path: "process.cwd", msg: `"home" is not absolute`},
		{name: "env without =", mutate: func(_ *generate.Generator, s *spec) { s.Process.Env = append(s.Process.Env, "FOO") }, path: "process.env[2]", msg: `"FOO" is not of the form NAME=value`},
		{name: "env empty name", mutate: func(_ *generate.Generator, s *spec) { s.Process.Env = []string{"=x"} }, path: "process.env[0]", msg: "empty variable name"},
		{name: "username", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessUsername("root") }, path: "process.user.username", msg: "not supported"},
		{name: "uid -1", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessUID(1<<32 - 1) }, path: "process.user.uid", msg: "not a valid user id"},
		{name: "gid -1", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessGID(1<<32 - 1) }, path: "process.user.gid", msg: "not a valid group id"},
		{name: "additional gid -1", mutate: func(g *generate.Generator, _ *spec) {
			g.AddProcessAdditionalGid(10)
			g.AddProcessAdditionalGid(1<<32 - 1)
		}, path: "process.user.additionalGids[1]", msg: "not a valid group id"},
		{name: "umask too big", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessUmask(0o1022) }, path: "process.user.umask", msg: "beyond 0777"},
		{name: "console too tall", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessTerminal(true); g.SetProcessConsoleSize(80, 70000) }, path: "process.consoleSize.height", msg: "70000"},
		{name: "console too wide", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessTerminal(true); g.SetProcessConsoleSize(70000, 24) }, path: "process.consoleSize.width", msg: "70000"},
		{name: "unknown capability", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Capabilities.Bounding = []string{"CAP_CHOWN", "CAP_FOO"}
		}, path: "process.capabilities.bounding[1]", msg: `unknown capability "CAP_FOO"`},
		{name: "lowercase capability", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Capabilities.Ambient = []string{"cap_chown"}
		}, path: "process.capabilities.ambient[0]", msg: `unknown capability "cap_chown"`},
		{name: "unknown rlimit", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FOO", Hard: 1, Soft: 1}}
		}, path: "process.rlimits[0].type", msg: `unknown rlimit "RLIMIT_FOO"`},
		{name: "duplicate rlimit", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_CORE"}, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Hard: 5, Soft: 5})
		}, path: "process.rlimits[2].type", msg: `duplicate rlimit "RLIMIT_NOFILE" (also at process.rlimits[0])`},
		{name: "soft above hard", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Hard: 10, Soft: 11}}
		}, path: "process.rlimits[0]", msg: "soft limit 11 is above its hard limit 10"},
		{name: "oomScoreAdj too high", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessOOMScoreAdj(1001) }, path: "process.oomScoreAdj", msg: "-1000..1000"},
		{name: "oomScoreAdj too low", mutate: func(g *generate.Generator, _ *spec) { g.SetProcessOOMScoreAdj(-1001) }, path: "process.oomScoreAdj", msg: "-1000..1000"},
		{name: "scheduler without policy", mutate: func(_ *generate.Generator, s *spec) { s.Process.Scheduler = &specs.Scheduler{} }, path: "process.scheduler.policy", msg: "required"},
		{name: "scheduler unknown policy", mutate: func(_ *generate.Generator, s *spec) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_FOO"} }, path: "process.scheduler.policy", msg: `unknown scheduling policy "SCHED_FOO"`},
		{name: "scheduler nice", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 20}
		}, path: "process.scheduler.nice", msg: "-20..19"},
		{name: "fifo without priority", mutate: func(_ *generate.Generator, s *spec) { s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO} }, path: "process.scheduler.priority", msg: "1..99"},
		{name: "other with priority", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Priority: 5}
		}, path: "process.scheduler.priority", msg: "only SCHED_FIFO and SCHED_RR"},
		{name: "batch with runtime", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Runtime: 10}
		}, path: "process.scheduler.runtime", msg: "only SCHED_DEADLINE"},
		{name: "deadline runtime above deadline", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 20, Deadline: 10, Period: 30}
		}, path: "process.scheduler.runtime", msg: "larger than the deadline"},
		{name: "deadline above period", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 10, Deadline: 40, Period: 30}
		}, path: "process.scheduler.deadline", msg: "larger than the period"},
		{name: "scheduler flag", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, "SCHED_FLAG_FOO"}}
		}, path: "process.scheduler.flags[1]", msg: `unknown scheduler flag "SCHED_FLAG_FOO"`},
		{name: "ioprio class", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_NONE"}
		}, path: "process.ioPriority.class", msg: `unknown I/O priority class "IOPRIO_CLASS_NONE"`},
		{name: "ioprio priority", mutate: func(_ *generate.Generator, s *spec) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}
		}, path: "process.ioPriority.priority", msg: "0..7"},

		// hostname, domainname.
		{name: "hostname without uts", mutate: func(g *generate.Generator, _ *spec) { _ = g.RemoveLinuxNamespace("uts") }, path: "hostname", msg: "needs a uts namespace"},
		{name: "domainname without uts", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("uts")
			g.SetHostname("")
			g.SetDomainName("example.org")
		}, path: "domainname", msg: "needs a uts namespace"},
		{name: "hostname too long", mutate: func(g *generate.Generator, _ *spec) { g.SetHostname(string(make([]byte, 65))) }, path: "hostname", msg: "longer than 64"},

		// namespaces.
		{name: "unknown namespace", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Namespaces[2].Type = "foo" }, path: "linux.namespaces[2].type", msg: `unknown namespace "foo"`},
		{name: "duplicate namespace", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "pid"})
		}, path: "linux.namespaces[5].type", msg: `duplicate namespace "pid" (also at linux.namespaces[0])`},
		{name: "relative namespace path", mutate: func(g *generate.Generator, _ *spec) { _ = g.AddOrReplaceLinuxNamespace("network", "netns") }, path: "linux.namespaces[1].path", msg: `"netns" is not absolute`},
		{name: "no mount namespace", mutate: func(g *generate.Generator, _ *spec) { _ = g.RemoveLinuxNamespace("mount") }, path: "linux.namespaces", msg: "a mount namespace is required"},
		{name: "uid mappings without userns", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxUIDMapping(1000, 0, 1) }, path: "linux.uidMappings", msg: "no user namespace"},
		{name: "gid mappings without userns", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxGIDMapping(1000, 0, 1) }, path: "linux.gidMappings", msg: "no user namespace"},
		{name: "userns without uid mappings", mutate: func(g *generate.Generator, _ *spec) { _ = g.AddOrReplaceLinuxNamespace("user", "") }, path: "linux.uidMappings", msg: "none were found"},
		{name: "userns without gid mappings", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("user", "")
			g.AddLinuxUIDMapping(1000, 0, 1)
		}, path: "linux.gidMappings", msg: "none were found"},
		{name: "mapping of size 0", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("user", "")
			g.AddLinuxUIDMapping(1000, 0, 0)
		}, path: "linux.uidMappings[0].size", msg: "greater than zero"},
		{name: "mapping past 2^32", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("user", "")
			g.AddLinuxGIDMapping(1<<32-10, 0, 100)
		}, path: "linux.gidMappings[0]", msg: "run past the largest gid"},
		{name: "overlapping mappings", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("user", "")
			g.AddLinuxUIDMapping(100000, 0, 1000)
			g.AddLinuxUIDMapping(200000, 500, 10)
			g.AddLinuxGIDMapping(100000, 0, 1000)
		}, path: "linux.uidMappings[1]", msg: "its container uids overlap those of linux.uidMappings[0]"},
		{name: "time offsets without timens", mutate: func(g *generate.Generator, _ *spec) {
			g.SetLinuxTimeOffset("monotonic", specs.LinuxTimeOffset{Secs: 10})
		}, path: "linux.timeOffsets", msg: "no time namespace"},
		{name: "time offsets for joined timens", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("time", "/proc/1/ns/time")
			g.SetLinuxTimeOffset("monotonic", specs.LinuxTimeOffset{Secs: 10})
		}, path: "linux.timeOffsets", msg: "only be given to a new time namespace"},
		{name: "time offset unknown clock", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("time", "")
			g.SetLinuxTimeOffset("realtime", specs.LinuxTimeOffset{Secs: 10})
		}, path: `linux.timeOffsets["realtime"]`, msg: `unknown clock "realtime"`},
		{name: "time offset nanoseconds", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("time", "")
			g.SetLinuxTimeOffset("boottime", specs.LinuxTimeOffset{Nanosecs: 1e9})
		}, path: `linux.timeOffsets["boottime"].nanosecs`, msg: "not below one second"},

		// mounts.
		{name: "relative destination", mutate: func(_ *generate.Generator, s *spec) { s.Mounts[3].Destination = "tmp" }, path: "mounts[3].destination", msg: `"tmp" is not absolute`},
		{name: "no destination", mutate: func(_ *generate.Generator, s *spec) { s.Mounts[0].Destination = "" }, path: "mounts[0].destination", msg: "required"},
		{name: "destination root", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/.", Type: "tmpfs", Source: "tmpfs"})
		}, path: "mounts[6].destination", msg: "container's root"},
		{name: "bind without source", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "none", Options: []string{"rbind"}})
		}, path: "mounts[6].source", msg: "required for a bind mount"},
		{name: "relative bind source without bundle", mutate: func(g *generate.Generator, s *spec) {
			s.Root.Path = "/abs/rootfs"
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "data"})
		}, opts: func(o *Options) { o.Bundle = "" }, path: "mounts[6].source", msg: `"data" is relative to the bundle`},
		{name: "no type", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Source: "tmpfs"})
		}, path: "mounts[6].type", msg: "required unless the mount is a bind mount"},
		{name: "tmpcopyup on bind", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x", Options: []string{"tmpcopyup"}})
		}, path: "mounts[6].options", msg: "tmpcopyup needs a tmpfs"},
		{name: "idmap without any maps", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x", Options: []string{"rbind", "idmap"}})
		}, path: "mounts[6].options", msg: "needs uidMappings and gidMappings of its own: the container has no user namespace"},
		{name: "ridmap in a joined user namespace", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.AddOrReplaceLinuxNamespace("user", "/proc/1/ns/user")
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x", Options: []string{"ridmap"}})
		}, path: "mounts[6].options", msg: "joins an existing user namespace"},
		{name: "idmap on a tmpfs", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"},
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}}, GIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, path: "mounts[6].options", msg: `id-mapped mounts must be bind mounts (options bind or rbind), not type "tmpfs"`},
		{name: "mount uidMappings alone", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x", UIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, path: "mounts[6].gidMappings", msg: "required with uidMappings"},
		{name: "mount gidMappings alone", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x", GIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, path: "mounts[6].uidMappings", msg: "required with gidMappings"},
		{name: "mount uidMappings of size 0", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x",
				UIDMappings: []specs.LinuxIDMapping{{Size: 0}}, GIDMappings: []specs.LinuxIDMapping{{Size: 1}}})
		}, path: "mounts[6].uidMappings[0].size", msg: "greater than zero"},
		{name: "mount gidMappings overlapping", mutate: func(g *generate.Generator, _ *spec) {
			g.AddMount(specs.Mount{Destination: "/data", Type: "bind", Source: "/x",
				UIDMappings: []specs.LinuxIDMapping{{Size: 1}},
				GIDMappings: []specs.LinuxIDMapping{{HostID: 0, Size: 10}, {ContainerID: 100, HostID: 5, Size: 1}}})
		}, path: "mounts[6].gidMappings[1]", msg: "its host gids overlap"},
		{name: "empty option", mutate: func(_ *generate.Generator, s *spec) { s.Mounts[1].Options = append(s.Mounts[1].Options, "") }, path: "mounts[1].options[4]", msg: "empty mount option"},

		// devices.
		{name: "device type", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/fuse", Type: "x", Major: 10, Minor: 229})
		}, path: "linux.devices[0].type", msg: `unknown device type "x"`},
		{name: "device without type", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/fuse", Major: 10, Minor: 229})
		}, path: "linux.devices[0].type", msg: "required"},
		{name: "device relative path", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "dev/fuse", Type: "c", Major: 10, Minor: 229})
		}, path: "linux.devices[0].path", msg: `"dev/fuse" is not absolute`},
		{name: "device without numbers", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/sda", Type: "b"})
		}, path: "linux.devices[0]", msg: "major and minor are required"},
		{name: "device major", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 5000, Minor: 1})
		}, path: "linux.devices[0].major", msg: "outside"},
		{name: "device minor", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 1, Minor: -1})
		}, path: "linux.devices[0].minor", msg: "outside"},
		{name: "duplicate device", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Devices = []specs.LinuxDevice{
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
				{Path: "/dev//fuse", Type: "c", Major: 10, Minor: 229},
			}
		}, path: "linux.devices[1].path", msg: "duplicate device"},
		{name: "device setuid mode", mutate: func(g *generate.Generator, _ *spec) {
			g.AddDevice(specs.LinuxDevice{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o4666))})
		}, path: "linux.devices[0].fileMode", msg: "beyond the permission bits"},

		// cgroups.
		{name: "systemd path without systemd", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxCgroupsPath("machine.slice:libpod:abc") }, path: "linux.cgroupsPath", msg: "needs the systemd cgroup driver"},
		{name: "cgroupfs path with systemd", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxCgroupsPath("/libpod_parent/libpod-abc") }, opts: func(o *Options) { o.CgroupsSystemd = true }, path: "linux.cgroupsPath", msg: `not of the form "slice:prefix:name"`},
		{name: "systemd path without name", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxCgroupsPath("machine.slice:libpod:") }, opts: func(o *Options) { o.CgroupsSystemd = true }, path: "linux.cgroupsPath", msg: "must be non-empty"},
		{name: "systemd path bad slice", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxCgroupsPath("machine:libpod:abc") }, opts: func(o *Options) { o.CgroupsSystemd = true }, path: "linux.cgroupsPath", msg: "not a systemd slice"},
		{name: "cgroup path with ..", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxCgroupsPath("/a/../../b") }, path: "linux.cgroupsPath", msg: `must not contain ".."`},

		// resources.
		{name: "device rule type", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesDevice(true, "x", nil, nil, "rwm") }, path: "linux.resources.devices[1].type", msg: `unknown device type "x"`},
		{name: "device rule access", mutate: func(g *generate.Generator, _ *spec) {
			g.AddLinuxResourcesDevice(true, "c", ptr(int64(1)), ptr(int64(3)), "rwx")
		}, path: "linux.resources.devices[1].access", msg: `"rwx" is not a combination`},
		{name: "device rule no access", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesDevice(true, "c", nil, nil, "") }, path: "linux.resources.devices[1].access", msg: "required"},
		{name: "device rule major", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesDevice(true, "c", ptr(int64(-5)), nil, "r") }, path: "linux.resources.devices[1].major", msg: "outside"},
		{name: "swappiness", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesMemorySwappiness(101) }, path: "linux.resources.memory.swappiness", msg: "0..100"},
		{name: "swap below limit", mutate: func(g *generate.Generator, _ *spec) {
			g.SetLinuxResourcesMemoryLimit(200 << 20)
			g.SetLinuxResourcesMemorySwap(100 << 20)
		}, path: "linux.resources.memory.swap", msg: "below memory.limit"},
		{name: "memory limit -2", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesMemoryLimit(-2) }, path: "linux.resources.memory.limit", msg: "-1 (unlimited)"},
		{name: "cpu quota -5", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesCPUQuota(-5) }, path: "linux.resources.cpu.quota", msg: "-1 (unlimited)"},
		{name: "cpu burst above quota", mutate: func(g *generate.Generator, s *spec) {
			g.SetLinuxResourcesCPUQuota(1000)
			s.Linux.Resources.CPU.Burst = ptr(uint64(2000))
		}, path: "linux.resources.cpu.burst", msg: "larger than the quota"},
		{name: "cpus syntax", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesCPUCpus("0-a") }, path: "linux.resources.cpu.cpus", msg: "not a CPU list"},
		{name: "mems syntax", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesCPUMems("0,,1") }, path: "linux.resources.cpu.mems", msg: "not a memory node list"},
		{name: "cpu idle", mutate: func(g *generate.Generator, s *spec) {
			g.SetLinuxResourcesCPUShares(2)
			s.Linux.Resources.CPU.Idle = ptr(int64(2))
		}, path: "linux.resources.cpu.idle", msg: "neither 0 nor 1"},
		{name: "pids", mutate: func(g *generate.Generator, _ *spec) { g.SetLinuxResourcesPidsLimit(-2) }, path: "linux.resources.pids.limit", msg: "-1 (unlimited)"},
		{name: "weight device without weight", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}}}}
		}, path: "linux.resources.blockIO.weightDevice[0]", msg: "needs weight or leafWeight"},
		{name: "throttle device major", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesBlockIOThrottleReadBpsDevice(-1, 0, 100) }, path: "linux.resources.blockIO.throttleReadBpsDevice[0].major", msg: "outside"},
		{name: "hugepage size", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesHugepageLimit("2M", 1) }, path: "linux.resources.hugepageLimits[0].pageSize", msg: `"2M" is not a size`},
		{name: "hugepage duplicate", mutate: func(g *generate.Generator, s *spec) {
			s.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}, {Pagesize: "2MB", Limit: 2}}
		}, path: "linux.resources.hugepageLimits[1].pageSize", msg: "duplicate page size"},
		{name: "network priority name", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesNetworkPriorities("", 5) }, path: "linux.resources.network.priorities[0].name", msg: "required"},
		{name: "rdma entry empty", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Resources.Rdma = map[string]specs.LinuxRdma{"mlx5_1": {}}
		}, path: `linux.resources.rdma["mlx5_1"]`, msg: "needs hcaHandles or hcaObjects"},
		{name: "unified traversal", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxResourcesUnified("../memory.max", "1") }, path: `linux.resources.unified["../memory.max"]`, msg: "not a cgroup v2 file name"},

		// sysctl.
		{name: "ipc sysctl without ipcns", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("ipc")
			g.AddLinuxSysctl("kernel.shmmax", "1")
		}, path: `linux.sysctl["kernel.shmmax"]`, msg: "host's IPC namespace"},
		{name: "mqueue sysctl without ipcns", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("ipc")
			g.AddLinuxSysctl("fs.mqueue.msg_max", "1")
		}, path: `linux.sysctl["fs.mqueue.msg_max"]`, msg: "host's IPC namespace"},
		{name: "net sysctl without netns", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("network")
			g.AddLinuxSysctl("net.ipv4.ip_forward", "1")
		}, path: `linux.sysctl["net.ipv4.ip_forward"]`, msg: `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`},
		{name: "domainname sysctl without utsns", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("uts")
			g.SetHostname("")
			g.AddLinuxSysctl("kernel.domainname", "x")
		}, path: `linux.sysctl["kernel.domainname"]`, msg: "UTS namespace"},
		{name: "user sysctl without userns", mutate: func(g *generate.Generator, _ *spec) {
			_ = g.RemoveLinuxNamespace("user")
			g.AddLinuxSysctl("user.max_user_namespaces", "1")
		}, path: `linux.sysctl["user.max_user_namespaces"]`, msg: "host's user namespace"},
		{name: "hostname sysctl", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxSysctl("kernel.hostname", "x") }, path: `linux.sysctl["kernel.hostname"]`, msg: "conflicts with the hostname field"},
		{name: "host-wide sysctl", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxSysctl("vm.swappiness", "1") }, path: `linux.sysctl["vm.swappiness"]`, msg: "not in a separate kernel namespace"},
		{name: "sysctl traversal", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxSysctl("net/../kernel/core_pattern", "|x") }, path: `linux.sysctl["net/../kernel/core_pattern"]`, msg: `".." component`},
		{name: "sysctl empty component", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxSysctl("net..ipv4", "1") }, path: `linux.sysctl["net..ipv4"]`, msg: "component"},
		{name: "sysctl same key twice", mutate: func(g *generate.Generator, _ *spec) {
			g.AddLinuxSysctl("net.ipv4.ip_forward", "1")
			g.AddLinuxSysctl("net/ipv4/ip_forward", "0")
		}, path: `linux.sysctl["net/ipv4/ip_forward"]`, msg: `names the same sysctl as linux.sysctl["net.ipv4.ip_forward"]`},

		// seccomp.
		{name: "seccomp no default", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.DefaultAction = "" }, path: "linux.seccomp.defaultAction", msg: "required"},
		{name: "seccomp default unknown", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.DefaultAction = "SCMP_ACT_FOO" }, path: "linux.seccomp.defaultAction", msg: `unknown seccomp action "SCMP_ACT_FOO"`},
		{name: "seccomp default notify", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.DefaultAction = specs.ActNotify
			s.Linux.Seccomp.ListenerPath = "/run/agent.sock"
		}, path: "linux.seccomp.defaultAction", msg: "cannot be the default action"},
		{name: "seccomp defaultErrnoRet with kill", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.DefaultAction = specs.ActKillProcess
			s.Linux.Seccomp.DefaultErrnoRet = ptr(uint(1))
		}, path: "linux.seccomp.defaultErrnoRet", msg: "does not return an errno"},
		{name: "seccomp errno too big", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.DefaultAction = specs.ActErrno
			s.Linux.Seccomp.DefaultErrnoRet = ptr(uint(5000))
		}, path: "linux.seccomp.defaultErrnoRet", msg: "largest errno"},
		{name: "seccomp arch", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Architectures = []specs.Arch{specs.ArchX86_64, "SCMP_ARCH_VAX"}
		}, path: "linux.seccomp.architectures[1]", msg: `unknown seccomp architecture "SCMP_ARCH_VAX"`},
		{name: "seccomp flag", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"}
		}, path: "linux.seccomp.flags[0]", msg: `unknown seccomp flag "SECCOMP_FILTER_FLAG_FOO"`},
		{name: "seccomp metadata without listener", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.ListenerMetadata = "x" }, path: "linux.seccomp.listenerMetadata", msg: "without listenerPath"},
		{name: "seccomp relative listener", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.ListenerPath = "agent.sock" }, path: "linux.seccomp.listenerPath", msg: "not absolute"},
		{name: "seccomp notify without listener", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Syscalls = append(s.Linux.Seccomp.Syscalls, specs.LinuxSyscall{Names: []string{"mknod"}, Action: specs.ActNotify})
		}, path: "linux.seccomp.listenerPath", msg: "required when a rule uses SCMP_ACT_NOTIFY"},
		{name: "seccomp notify write", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.ListenerPath = "/run/agent.sock"
			s.Linux.Seccomp.Syscalls = []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActNotify}}
		}, path: "linux.seccomp.syscalls[0].names[1]", msg: "cannot be used for write"},
		{name: "seccomp syscall action", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.Syscalls[2].Action = "ALLOW" }, path: "linux.seccomp.syscalls[2].action", msg: `unknown seccomp action "ALLOW"`},
		{name: "seccomp syscall no action", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.Syscalls[0].Action = "" }, path: "linux.seccomp.syscalls[0].action", msg: "required"},
		{name: "seccomp syscall no names", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.Syscalls[1].Names = nil }, path: "linux.seccomp.syscalls[1].names", msg: "at least one"},
		{name: "seccomp syscall empty name", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Seccomp.Syscalls[1].Names = []string{"read", ""} }, path: "linux.seccomp.syscalls[1].names[1]", msg: "empty"},
		{name: "seccomp errnoRet with allow", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Syscalls = []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: ptr(uint(1))}}
		}, path: "linux.seccomp.syscalls[0].errnoRet", msg: "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE"},
		{name: "seccomp operator", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Syscalls = []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_FOO"}}}}
		}, path: "linux.seccomp.syscalls[0].args[0].op", msg: `unknown seccomp operator "SCMP_CMP_FOO"`},
		{name: "seccomp arg index", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Seccomp.Syscalls = []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}
		}, path: "linux.seccomp.syscalls[0].args[0].index", msg: "not a system call argument"},

		// paths, propagation, personality.
		{name: "masked relative", mutate: func(g *generate.Generator, _ *spec) { g.AddLinuxMaskedPaths("proc/kcore") }, path: "linux.maskedPaths[0]", msg: `"proc/kcore" is not absolute`},
		{name: "readonly relative", mutate: func(g *generate.Generator, _ *spec) {
			g.AddLinuxReadonlyPaths("/proc/sys")
			g.AddLinuxReadonlyPaths("sys")
		}, path: "linux.readonlyPaths[1]", msg: `"sys" is not absolute`},
		{name: "rootfs propagation", mutate: func(_ *generate.Generator, s *spec) { s.Linux.RootfsPropagation = "rprivat" }, path: "linux.rootfsPropagation", msg: `unknown propagation "rprivat"`},
		{name: "personality domain", mutate: func(_ *generate.Generator, s *spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX64"} }, path: "linux.personality.domain", msg: `unknown personality domain "LINUX64"`},
		{name: "personality flags", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"X"}}
		}, path: "linux.personality.flags[0]", msg: "defines none"},

		// Unimplemented Linux features.
		{name: "intelRdt", mutate: func(_ *generate.Generator, s *spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: "x"} }, path: "linux.intelRdt", msg: "not supported"},

		// netDevices.
		{name: "netDevices without netns", mutate: func(g *generate.Generator, s *spec) {
			_ = g.RemoveLinuxNamespace("network")
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}}
		}, path: "linux.netDevices", msg: "needs a new network namespace"},
		{name: "netDevices with a joined netns", mutate: func(g *generate.Generator, s *spec) {
			_ = g.AddOrReplaceLinuxNamespace("network", "/run/netns/x")
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}}
		}, path: "linux.netDevices", msg: "needs a new network namespace"},
		{name: "netDevices long host name", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"abcdefghijklmnop": {}}
		}, path: `linux.netDevices["abcdefghijklmnop"]`, msg: "longer than 15 bytes"},
		{name: "netDevices slash", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "a/b"}}
		}, path: `linux.netDevices["eth1"].name`, msg: "contains '/'"},
		{name: "netDevices dotdot", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"..": {}}
		}, path: `linux.netDevices[".."]`, msg: "not a network device name"},
		{name: "netDevices template on the host", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth%d": {}}
		}, path: `linux.netDevices["eth%d"]`, msg: "template"},
		{name: "netDevices bad template", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "e%s"}}
		}, path: `linux.netDevices["eth1"].name`, msg: "template"},
		{name: "netDevices same name twice", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "ctr0"}, "eth2": {Name: "ctr0"}}
		}, path: `linux.netDevices["eth2"].name`, msg: `"ctr0" is also the name of linux.netDevices["eth1"]`},
		{name: "netDevices rename onto another's name", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}, "eth2": {Name: "eth1"}}
		}, path: `linux.netDevices["eth2"].name`, msg: "also the name"},

		// memoryPolicy.
		{name: "memoryPolicy bind without nodes", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind}
		}, path: "linux.memoryPolicy.nodes", msg: "needs at least one node"},
		{name: "memoryPolicy default with nodes", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"}
		}, path: "linux.memoryPolicy.nodes", msg: "takes no nodes"},
		{name: "memoryPolicy unknown mode", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_FAST"}
		}, path: "linux.memoryPolicy.mode", msg: `unknown mode "MPOL_FAST"`},
		{name: "memoryPolicy bad nodes", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0-x"}
		}, path: "linux.memoryPolicy.nodes", msg: "not a list"},
		{name: "memoryPolicy unknown flag", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_X"}}
		}, path: "linux.memoryPolicy.flags[0]", msg: "unknown flag"},
		{name: "memoryPolicy static and relative", mutate: func(_ *generate.Generator, s *spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0",
				Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes, specs.MpolFRelativeNodes}}
		}, path: "linux.memoryPolicy.flags", msg: "exclude each other"},

		// hooks.
		{name: "hook relative path", mutate: func(g *generate.Generator, _ *spec) { g.AddPostStopHook(specs.Hook{Path: "bin/true"}) }, path: "hooks.poststop[0].path", msg: `"bin/true" is not absolute`},
		{name: "hook no path", mutate: func(_ *generate.Generator, s *spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true"}, {}}}
		}, path: "hooks.createRuntime[1].path", msg: "required"},
		{name: "hook timeout 0", mutate: func(_ *generate.Generator, s *spec) {
			s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/true", Timeout: ptr(0)}}}
		}, path: "hooks.startContainer[0].timeout", msg: "greater than zero"},
		{name: "hook env", mutate: func(_ *generate.Generator, s *spec) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true", Env: []string{"X"}}}}
		}, path: "hooks.createContainer[0].env[0]", msg: "NAME=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t)
			if tt.mutate != nil {
				tt.mutate(g, g.Config)
			}
			o := testOpts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			c, err := ToConfig(g.Config, o)
			if c != nil {
				t.Errorf("ToConfig returned a config with the error")
			}
			checkFieldErr(t, err, tt.path, tt.msg)
		})
	}
}

// The messages the brief and the engines rely on, checked verbatim.
func TestToConfigErrorTexts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *specs.Spec)
		want   string
	}{
		{"namespace", func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" }, `linux.namespaces[2].type: unknown namespace "foo"`},
		{"destination", func(s *specs.Spec) { s.Mounts[3].Destination = "tmp" }, `mounts[3].destination: "tmp" is not absolute`},
		{"args", func(s *specs.Spec) { s.Process.Args = []string{} }, `process.args: must not be empty`},
		{"rlimit", func(s *specs.Spec) { s.Process.Rlimits[0].Type = "RLIMIT_FOO" }, `process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"`},
		{"capability", func(s *specs.Spec) { s.Process.Capabilities.Bounding[1] = "CAP_FOO" }, `process.capabilities.bounding[1]: unknown capability "CAP_FOO"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t)
			tt.mutate(g.Config)
			_, err := ToConfig(g.Config, testOpts())
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v; want %q", err, tt.want)
			}
		})
	}
}
