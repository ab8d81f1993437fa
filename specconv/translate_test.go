package specconv

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestVersions(t *testing.T) {
	for _, v := range []string{"1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.2.1", "1.3.0", "1.0", "1.0.0-rc5", "1.2.1+dirty", specs.Version} {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q): %v", v, err)
		}
	}
	for _, v := range []string{"", "1", "1.", "0.9.0", "2.0.0", "10.0.0", "1.a", "v1.0.0", "1.0.0 "} {
		if err := checkVersion(v); err == nil {
			t.Errorf("checkVersion(%q) accepted it", v)
		}
	}
}

func TestToConfigDefaultSpec(t *testing.T) {
	g := newGen(t)
	g.SetRootReadonly(true)
	g.AddAnnotation("org.example/key", "value")
	var warnings []string
	c := mustConvert(t, g.Config, collectWarnings(&warnings))
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if c.Rootfs != "/run/bundle/rootfs" || !c.Readonly {
		t.Errorf("rootfs %q readonly %t", c.Rootfs, c.Readonly)
	}
	if c.Hostname != "mrsdalloway" {
		t.Errorf("hostname %q", c.Hostname)
	}
	wantNS := []configs.Namespace{{Type: configs.NEWPID}, {Type: configs.NEWNET}, {Type: configs.NEWIPC}, {Type: configs.NEWUTS}, {Type: configs.NEWNS}}
	if !reflect.DeepEqual(c.Namespaces, wantNS) {
		t.Errorf("namespaces %+v; want %+v", c.Namespaces, wantNS)
	}
	if len(c.Mounts) != 6 || c.Mounts[0].Destination != "/proc" || c.Mounts[0].Device != "proc" {
		t.Errorf("mounts %+v", c.Mounts)
	}
	if len(c.Devices) != len(defaultDevices) {
		t.Errorf("devices %d; want the %d defaults", len(c.Devices), len(defaultDevices))
	}
	// The generator's "deny all" rule follows ours, then the defaults and
	// one rule per default device.
	if c.Cgroups == nil || c.Cgroups.Resources == nil ||
		len(c.Cgroups.Resources.Devices) != 2+len(defaultAllowedDevices)+len(defaultDevices) ||
		c.Cgroups.Resources.Devices[1].Type != "a" || c.Cgroups.Resources.Devices[1].Access != "rwm" {
		t.Errorf("cgroups %+v", c.Cgroups)
	}
	if c.Seccomp == nil || c.Seccomp.DefaultAction != g.Config.Linux.Seccomp.DefaultAction ||
		len(c.Seccomp.Syscalls) != len(g.Config.Linux.Seccomp.Syscalls) {
		t.Errorf("seccomp not copied")
	}
	if c.Labels["org.example/key"] != "value" {
		t.Errorf("labels %v", c.Labels)
	}
	p := c.Process
	if !reflect.DeepEqual(p.Args, []string{"sh"}) || p.Cwd != "/" || len(p.Env) != 2 {
		t.Errorf("process %+v", p)
	}
	if p.Capabilities == nil || len(p.Capabilities.Bounding) != 14 || len(p.Capabilities.Ambient) != 14 {
		t.Errorf("capabilities %+v", p.Capabilities)
	}
	if !reflect.DeepEqual(p.Rlimits, []configs.Rlimit{{Type: unix.RLIMIT_NOFILE, Hard: 1024, Soft: 1024}}) {
		t.Errorf("rlimits %+v", p.Rlimits)
	}
	if c.OomScoreAdj != nil {
		t.Errorf("oomScoreAdj %v; want nil", *c.OomScoreAdj)
	}
}

// The config must not share memory with the spec: the caller may reuse or
// change the spec (exec builds on the container's).
func TestToConfigDoesNotAlias(t *testing.T) {
	g := newGen(t)
	g.SetLinuxResourcesMemoryLimit(1 << 30)
	g.AddAnnotation("a", "b")
	g.AddPostStopHook(specs.Hook{Path: "/bin/true", Args: []string{"true"}, Timeout: ptr(5)})
	s := g.Config
	c := mustConvert(t, s, testOpts())

	s.Process.Args[0] = "changed"
	s.Process.Env[0] = "X=changed"
	*s.Linux.Resources.Memory.Limit = 1
	s.Linux.Seccomp.Syscalls[0].Names[0] = "changed"
	s.Annotations["a"] = "changed"
	*s.Hooks.Poststop[0].Timeout = 99
	s.Hooks.Poststop[0].Args[0] = "changed"

	switch {
	case c.Process.Args[0] != "sh":
		t.Error("args aliased")
	case c.Process.Env[0] == "X=changed":
		t.Error("env aliased")
	case *c.Cgroups.Resources.Memory.Limit != 1<<30:
		t.Error("resources aliased")
	case c.Seccomp.Syscalls[0].Names[0] == "changed":
		t.Error("seccomp aliased")
	case c.Labels["a"] != "b":
		t.Error("annotations aliased")
	case *c.Hooks.Poststop[0].Timeout != 5 || c.Hooks.Poststop[0].Args[0] != "true":
		t.Error("hooks aliased")
	}
}

func TestMountOptions(t *testing.T) {
	tests := []struct {
		name  string
		mount specs.Mount
		want  configs.Mount
	}{
		{
			name:  "dev tmpfs",
			mount: specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			want:  configs.Mount{Destination: "/dev", Device: "tmpfs", Source: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		},
		{
			name:  "devpts",
			mount: specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			want:  configs.Mount{Destination: "/dev/pts", Device: "devpts", Source: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		},
		{
			name:  "read-only sysfs",
			mount: specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			want:  configs.Mount{Destination: "/sys", Device: "sysfs", Source: "sysfs", Flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_RDONLY},
		},
		{
			name:  "podman volume: rbind rprivate relative source",
			mount: specs.Mount{Destination: "/data/", Type: "bind", Source: "vol", Options: []string{"rbind", "rprivate", "rw", "nosuid", "nodev"}},
			want: configs.Mount{Destination: "/data", Device: "bind", Source: "/run/bundle/vol",
				Flags: unix.MS_BIND | unix.MS_REC | unix.MS_NOSUID | unix.MS_NODEV, ClearedFlags: unix.MS_RDONLY,
				PropagationFlags: []uint64{unix.MS_PRIVATE | unix.MS_REC}},
		},
		{
			name:  "type none with bind option",
			mount: specs.Mount{Destination: "/etc/hosts", Type: "none", Source: "/var/lib/x/hosts", Options: []string{"bind", "ro"}},
			want:  configs.Mount{Destination: "/etc/hosts", Device: "bind", Source: "/var/lib/x/hosts", Flags: unix.MS_BIND | unix.MS_RDONLY},
		},
		{
			name:  "type bind without options is a plain bind",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y"},
			want:  configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND},
		},
		{
			name:  "later option wins",
			mount: specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "rw", "noexec", "exec", "suid", "nosuid"}},
			want:  configs.Mount{Destination: "/x", Device: "tmpfs", Source: "tmpfs", Flags: unix.MS_NOSUID, ClearedFlags: unix.MS_RDONLY | unix.MS_NOEXEC},
		},
		{
			name: "every flag option",
			mount: specs.Mount{Destination: "/x", Type: "ext4", Source: "/dev/sda1", Options: []string{
				"defaults", "sync", "dirsync", "remount", "mand", "noatime", "nodiratime", "relatime", "iversion", "lazytime", "silent", "nosymfollow"}},
			want: configs.Mount{Destination: "/x", Device: "ext4", Source: "/dev/sda1",
				Flags: unix.MS_SYNCHRONOUS | unix.MS_DIRSYNC | unix.MS_REMOUNT | unix.MS_MANDLOCK | unix.MS_NOATIME | unix.MS_NODIRATIME |
					unix.MS_RELATIME | unix.MS_I_VERSION | unix.MS_LAZYTIME | unix.MS_SILENT | unix.MS_NOSYMFOLLOW},
		},
		{
			name: "every clearing option",
			mount: specs.Mount{Destination: "/x", Type: "ext4", Source: "/dev/sda1", Options: []string{
				"async", "nomand", "atime", "diratime", "norelatime", "nostrictatime", "noiversion", "nolazytime", "loud", "symfollow", "dev", "suid", "exec", "rw"}},
			want: configs.Mount{Destination: "/x", Device: "ext4", Source: "/dev/sda1",
				ClearedFlags: unix.MS_SYNCHRONOUS | unix.MS_MANDLOCK | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME |
					unix.MS_I_VERSION | unix.MS_LAZYTIME | unix.MS_SILENT | unix.MS_NOSYMFOLLOW | unix.MS_NODEV | unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_RDONLY},
		},
		{
			name:  "propagation in order",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "private", "shared", "rslave", "slave", "rshared", "unbindable", "runbindable", "rprivate"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				PropagationFlags: []uint64{unix.MS_PRIVATE, unix.MS_SHARED, unix.MS_SLAVE | unix.MS_REC, unix.MS_SLAVE, unix.MS_SHARED | unix.MS_REC,
					unix.MS_UNBINDABLE, unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_PRIVATE | unix.MS_REC}},
		},
		{
			name:  "recursive attributes",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW},
		},
		{
			name:  "recursive clears",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rro", "rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrClr: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW},
		},
		{
			name:  "recursive noatime",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rnoatime"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrSet: unix.MOUNT_ATTR_NOATIME, RecAttrClr: unix.MOUNT_ATTR__ATIME},
		},
		{
			name:  "recursive atime: last mode wins",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rnoatime", "rstrictatime"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrSet: unix.MOUNT_ATTR_STRICTATIME, RecAttrClr: unix.MOUNT_ATTR__ATIME},
		},
		{
			name:  "ratime selects relatime",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rro", "rnoatime", "ratime"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_RELATIME, RecAttrClr: unix.MOUNT_ATTR__ATIME},
		},
		{
			name:  "rnorelatime selects strictatime",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"rbind", "rrelatime", "rnorelatime"}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC,
				RecAttrSet: unix.MOUNT_ATTR_STRICTATIME, RecAttrClr: unix.MOUNT_ATTR__ATIME},
		},
		{
			name:  "podman --tmpfs with tmpcopyup",
			mount: specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"}},
			want: configs.Mount{Destination: "/run", Device: "tmpfs", Source: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, ClearedFlags: unix.MS_RDONLY,
				PropagationFlags: []uint64{unix.MS_PRIVATE | unix.MS_REC}, TmpcopyUp: true},
		},
		{
			name:  "idmap uses the container's maps",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y", Options: []string{"bind", "idmap", "ro"}},
			want:  configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_RDONLY, IDMapped: true},
		},
		{
			name:  "ridmap over an rbind",
			mount: specs.Mount{Destination: "/x", Type: "none", Source: "/y", Options: []string{"rbind", "ridmap"}},
			want:  configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND | unix.MS_REC, IDMapped: true, IDMapRecursive: true},
		},
		{
			name: "maps of its own imply idmap",
			mount: specs.Mount{Destination: "/x", Type: "bind", Source: "/y",
				UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 10}},
				GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 2000, Size: 10}}},
			want: configs.Mount{Destination: "/x", Device: "bind", Source: "/y", Flags: unix.MS_BIND, IDMapped: true,
				UIDMappings: []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 10}},
				GIDMappings: []configs.IDMap{{ContainerID: 0, HostID: 2000, Size: 10}}},
		},
		{
			name:  "cgroup",
			mount: specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			want:  configs.Mount{Destination: "/sys/fs/cgroup", Device: "cgroup", Source: "cgroup", Flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_RELATIME | unix.MS_RDONLY},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := convertMount(tt.mount, "mounts[0]", testOpts())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, tt.want)
			}
			if got.IsBind() != (tt.want.Device == "bind") {
				t.Fatalf("IsBind() = %t", got.IsBind())
			}
		})
	}
}

// Every option the runtime-spec lists for Linux must be understood (not
// passed to the filesystem as data), except the id-mapping ones, which
// ocirun rejects.
func TestMountOptionsSpecTable(t *testing.T) {
	specOptions := []string{
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime", "loud",
		"mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
		"nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime", "relatime",
		"remount", "rexec", "rnoatime", "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid",
		"rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
		"rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync",
		"tmpcopyup", "unbindable",
	}
	for _, o := range specOptions {
		m, err := parseMountOptions([]string{o}, "mounts[0].options")
		if err != nil {
			t.Errorf("%s: %v", o, err)
			continue
		}
		if m.Data != "" {
			t.Errorf("%s went to the filesystem data", o)
		}
	}
}

func TestCapabilities(t *testing.T) {
	caps := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_KILL", "CAP_CHECKPOINT_RESTORE", "CAP_BPF"},
		Effective:   []string{"CAP_CHOWN", "CAP_NET_RAW"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_BPF"},
		Inheritable: []string{"CAP_KILL"},
		Ambient:     []string{"CAP_KILL", "CAP_CHOWN"},
	}
	var warnings []string
	o := collectWarnings(&warnings)
	o.LastCap = 38 // a kernel without CAP_BPF and CAP_CHECKPOINT_RESTORE
	p := &specs.Process{Args: []string{"sh"}, Cwd: "/", Capabilities: caps}
	got, err := ToProcess(p, o)
	if err != nil {
		t.Fatal(err)
	}
	want := &configs.Capabilities{
		Bounding:    []int{unix.CAP_CHOWN, unix.CAP_KILL},
		Effective:   []int{unix.CAP_CHOWN},
		Permitted:   []int{unix.CAP_CHOWN, unix.CAP_KILL},
		Inheritable: []int{unix.CAP_KILL},
		Ambient:     []int{unix.CAP_KILL},
	}
	if !reflect.DeepEqual(got.Capabilities, want) {
		t.Errorf("got %+v\nwant %+v", got.Capabilities, want)
	}
	wantWarnings := []string{
		"process.capabilities (bounding, permitted): CAP_CHECKPOINT_RESTORE, CAP_BPF: not supported by the running kernel (cap_last_cap is 38); dropped",
		"process.capabilities.effective: CAP_NET_RAW: not in the permitted set, so not effective; dropped",
		"process.capabilities.ambient: CAP_CHOWN: not in both the permitted and the inheritable set, so not ambient; dropped",
	}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}

	// LastCap 0 (unknown) keeps every known capability; a nil Warn is fine.
	o = testOpts()
	o.LastCap = 0
	got, err = ToProcess(&specs.Process{Args: []string{"sh"}, Cwd: "/", Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_CHECKPOINT_RESTORE"}}}, o)
	if err != nil || !reflect.DeepEqual(got.Capabilities.Bounding, []int{40}) {
		t.Errorf("LastCap 0: %+v, %v", got, err)
	}
	// No capabilities object: nil, not an empty set.
	got, err = ToProcess(&specs.Process{Args: []string{"sh"}, Cwd: "/"}, testOpts())
	if err != nil || got.Capabilities != nil {
		t.Errorf("no capabilities: %+v, %v", got.Capabilities, err)
	}
}

func TestRlimits(t *testing.T) {
	var rl []specs.POSIXRlimit
	for name := range rlimitTypes {
		rl = append(rl, specs.POSIXRlimit{Type: name, Hard: 10, Soft: 5})
	}
	got, err := convertRlimits(rl, "process.rlimits")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.Type != rlimitTypes[rl[i].Type] || r.Hard != 10 || r.Soft != 5 {
			t.Errorf("%s: %+v", rl[i].Type, r)
		}
	}
	if len(got) != 16 {
		t.Errorf("%d rlimit types; Linux has 16", len(got))
	}
	want := map[string]int{"RLIMIT_CPU": 0, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RTTIME": 15}
	for name, n := range want {
		if rlimitTypes[name] != n {
			t.Errorf("%s = %d; want %d", name, rlimitTypes[name], n)
		}
	}
}

func TestSchedulerAndIOPriority(t *testing.T) {
	p := &specs.Process{
		Args: []string{"sh"}, Cwd: "/",
		Scheduler: &specs.Scheduler{Policy: specs.SchedDeadline, Runtime: 10, Deadline: 20, Period: 30,
			Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, specs.SchedFlagDLOverrun}},
		IOPriority: &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE, Priority: 7},
	}
	got, err := ToProcess(p, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	wantSched := &configs.Scheduler{Policy: unix.SCHED_DEADLINE, Runtime: 10, Deadline: 20, Period: 30,
		Flags: unix.SCHED_FLAG_RESET_ON_FORK | unix.SCHED_FLAG_DL_OVERRUN}
	if !reflect.DeepEqual(got.Scheduler, wantSched) {
		t.Errorf("scheduler %+v; want %+v", got.Scheduler, wantSched)
	}
	if !reflect.DeepEqual(got.IOPriority, &configs.IOPriority{Class: 3, Priority: 7}) {
		t.Errorf("ioPriority %+v", got.IOPriority)
	}
	for name, n := range map[specs.LinuxSchedulerPolicy]int{specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3, specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6} {
		s := &specs.Scheduler{Policy: name}
		if name == specs.SchedFIFO || name == specs.SchedRR {
			s.Priority = 50
		}
		c, err := convertScheduler(s, "process.scheduler")
		if err != nil || c.Policy != n {
			t.Errorf("%s: %+v %v; want policy %d", name, c, err, n)
		}
	}
	for name, n := range map[specs.IOPriorityClass]int{specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3} {
		c, err := convertIOPriority(&specs.LinuxIOPriority{Class: name}, "process.ioPriority")
		if err != nil || c.Class != n {
			t.Errorf("%s: %+v %v", name, c, err)
		}
	}
}

func TestProcessFields(t *testing.T) {
	p := &specs.Process{
		Terminal:        true,
		ConsoleSize:     &specs.Box{Height: 40, Width: 120},
		User:            specs.User{UID: 1000, GID: 100, AdditionalGids: []uint32{10, 20}, Umask: ptr(uint32(0o077))},
		Args:            []string{"/bin/sleep", "1"},
		Env:             []string{"A=1", "B="},
		Cwd:             "/work",
		NoNewPrivileges: true,
		ApparmorProfile: "container-default",
		SelinuxLabel:    "system_u:system_r:container_t:s0",
		OOMScoreAdj:     ptr(-998),
	}
	got, err := ToProcess(p, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := &configs.Process{
		Args: []string{"/bin/sleep", "1"}, Env: []string{"A=1", "B="}, Cwd: "/work",
		User:     configs.User{UID: 1000, GID: 100, AdditionalGids: []uint32{10, 20}, Umask: ptr(uint32(0o077))},
		Terminal: true, ConsoleHeight: 40, ConsoleWidth: 120,
		NoNewPrivileges: true, ApparmorProfile: "container-default", SelinuxLabel: "system_u:system_r:container_t:s0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// consoleSize without a terminal is ignored, as the runtime-spec says,
	// however big.
	p.Terminal = false
	p.ConsoleSize = &specs.Box{Height: 1 << 20, Width: 1 << 20}
	got, err = ToProcess(p, testOpts())
	if err != nil || got.ConsoleHeight != 0 || got.ConsoleWidth != 0 {
		t.Errorf("consoleSize without terminal: %+v %v", got, err)
	}

	// oomScoreAdj lands in the config for the init.
	g := newGen(t)
	g.SetProcessOOMScoreAdj(-998)
	c := mustConvert(t, g.Config, testOpts())
	if c.OomScoreAdj == nil || *c.OomScoreAdj != -998 {
		t.Errorf("OomScoreAdj %v", c.OomScoreAdj)
	}
}

func TestToProcessErrorPaths(t *testing.T) {
	tests := []struct {
		name string
		p    *specs.Process
		path string
		msg  string
	}{
		{"nil", nil, "process", "required"},
		{"args", &specs.Process{Cwd: "/"}, "process.args", "must not be empty"},
		{"cwd", &specs.Process{Args: []string{"sh"}, Cwd: "x"}, "process.cwd", "not absolute"},
		{"execCPUAffinity", &specs.Process{Args: []string{"sh"}, Cwd: "/", ExecCPUAffinity: &specs.CPUAffinity{Initial: "0", Final: "3-1"}}, "process.execCPUAffinity.final", `"3-1" is not a list`},
		{"capability", &specs.Process{Args: []string{"sh"}, Cwd: "/", Capabilities: &specs.LinuxCapabilities{Permitted: []string{"CAP_X"}}}, "process.capabilities.permitted[0]", "unknown capability"},
		{"oom", &specs.Process{Args: []string{"sh"}, Cwd: "/", OOMScoreAdj: ptr(5000)}, "process.oomScoreAdj", "-1000..1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ToProcess(tt.p, testOpts())
			checkFieldErr(t, err, tt.path, tt.msg)
		})
	}
}

// Kept in the config's process, which exec without a process file starts
// from; create never applies it.
func TestExecCPUAffinity(t *testing.T) {
	g := newGen(t)
	g.Config.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "1,64", Final: "0-2,70-71"}
	var warnings []string
	c := mustConvert(t, g.Config, collectWarnings(&warnings))
	want := &configs.CPUAffinity{Initial: []uint64{2, 1}, Final: []uint64{7, 0xc0}}
	if !reflect.DeepEqual(c.Process.ExecCPUAffinity, want) || len(warnings) != 0 {
		t.Errorf("got %+v, warnings %q; want %+v", c.Process.ExecCPUAffinity, warnings, want)
	}
	for list, msg := range map[string]string{
		"": "", "x": "not a list", "1-": "not a list", "-1": "not a list", "1,,2": "not a list", "8192": "above the largest",
	} {
		p, err := ToProcess(&specs.Process{Args: []string{"sh"}, Cwd: "/", ExecCPUAffinity: &specs.CPUAffinity{Initial: list}}, testOpts())
		if msg == "" {
			if err != nil || p.ExecCPUAffinity != nil {
				t.Errorf("%q: %+v %v", list, p.ExecCPUAffinity, err)
			}
			continue
		}
		checkFieldErr(t, err, "process.execCPUAffinity.initial", msg)
	}
}

func TestMemoryPolicy(t *testing.T) {
	g := newGen(t)
	g.Config.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0,2-3", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
	c := mustConvert(t, g.Config, testOpts())
	want := &configs.MemoryPolicy{Mode: unix.MPOL_INTERLEAVE, Flags: unix.MPOL_F_STATIC_NODES, Nodes: []uint64{0xd}}
	if !reflect.DeepEqual(c.MemoryPolicy, want) {
		t.Errorf("got %+v; want %+v", c.MemoryPolicy, want)
	}
	g.Config.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}
	if c = mustConvert(t, g.Config, testOpts()); !reflect.DeepEqual(c.MemoryPolicy, &configs.MemoryPolicy{Mode: unix.MPOL_LOCAL}) {
		t.Errorf("local: %+v", c.MemoryPolicy)
	}
}

func TestDevices(t *testing.T) {
	tests := []struct {
		name    string
		devices []specs.LinuxDevice
		mounts  []specs.Mount
		want    []configs.Device
	}{
		{
			name: "defaults only",
			want: defaultDevices,
		},
		{
			name: "config device and overridden default",
			devices: []specs.LinuxDevice{
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o20660)), UID: ptr(uint32(5)), GID: ptr(uint32(6))},
				{Path: "/dev/null", Type: "u", Major: 1, Minor: 3},
				{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0, FileMode: ptr(os.FileMode(0o600))},
				{Path: "/run/fifo", Type: "p"},
			},
			want: append([]configs.Device{
				{Path: "/dev/fuse", Type: 'c', Major: 10, Minor: 229, FileMode: 0o660, UID: 5, GID: 6},
				{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
				{Path: "/dev/sda", Type: 'b', Major: 8, Minor: 0, FileMode: 0o600},
				{Path: "/run/fifo", Type: 'p', FileMode: 0o666},
			}, defaultDevices[1:]...),
		},
		{
			name:    "/dev bind-mounted: no defaults",
			devices: []specs.LinuxDevice{{Path: "/dev/kvm", Type: "c", Major: 10, Minor: 232}},
			mounts:  []specs.Mount{{Destination: "/dev/", Type: "bind", Source: "/dev", Options: []string{"rbind"}}},
			want:    []configs.Device{{Path: "/dev/kvm", Type: 'c', Major: 10, Minor: 232, FileMode: 0o666}},
		},
		{
			name:   "/dev tmpfs keeps defaults",
			mounts: []specs.Mount{{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"}},
			want:   defaultDevices,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t)
			g.Config.Mounts = tt.mounts
			g.Config.Linux.Devices = tt.devices
			c := mustConvert(t, g.Config, testOpts())
			var got []configs.Device
			for _, d := range c.Devices {
				got = append(got, *d)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// The defaults are copied, never shared between configs.
	c1 := mustConvert(t, newGen(t).Config, testOpts())
	c1.Devices[0].Major = 99
	if defaultDevices[0].Major != 1 {
		t.Fatal("defaultDevices was modified through a config")
	}
}

func TestNamespacesAndMappings(t *testing.T) {
	g := newGen(t)
	_ = g.AddOrReplaceLinuxNamespace("network", "/var/run/netns/cni-1")
	_ = g.AddOrReplaceLinuxNamespace("user", "")
	_ = g.AddOrReplaceLinuxNamespace("cgroup", "")
	_ = g.AddOrReplaceLinuxNamespace("time", "")
	g.AddLinuxUIDMapping(100000, 0, 65536)
	g.AddLinuxUIDMapping(1000, 65536, 1)
	g.AddLinuxGIDMapping(100000, 0, 65536)
	g.SetLinuxTimeOffset("monotonic", specs.LinuxTimeOffset{Secs: -10, Nanosecs: 5})
	g.SetLinuxTimeOffset("boottime", specs.LinuxTimeOffset{Secs: 3600})
	g.SetDomainName("example.org")
	c := mustConvert(t, g.Config, testOpts())
	wantNS := []configs.Namespace{
		{Type: configs.NEWPID}, {Type: configs.NEWNET, Path: "/var/run/netns/cni-1"}, {Type: configs.NEWIPC}, {Type: configs.NEWUTS},
		{Type: configs.NEWNS}, {Type: configs.NEWUSER}, {Type: configs.NEWCGROUP}, {Type: configs.NEWTIME},
	}
	if !reflect.DeepEqual(c.Namespaces, wantNS) {
		t.Errorf("namespaces %+v", c.Namespaces)
	}
	if !reflect.DeepEqual(c.UIDMappings, []configs.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}, {ContainerID: 65536, HostID: 1000, Size: 1}}) {
		t.Errorf("uid mappings %+v", c.UIDMappings)
	}
	if !reflect.DeepEqual(c.GIDMappings, []configs.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}) {
		t.Errorf("gid mappings %+v", c.GIDMappings)
	}
	if !reflect.DeepEqual(c.TimeOffsets, map[string]configs.TimeOffset{"monotonic": {Secs: -10, Nanosecs: 5}, "boottime": {Secs: 3600}}) {
		t.Errorf("time offsets %+v", c.TimeOffsets)
	}
	if c.Domainname != "example.org" {
		t.Errorf("domainname %q", c.Domainname)
	}

	// Joining a user namespace needs no mappings.
	g = newGen(t)
	_ = g.AddOrReplaceLinuxNamespace("user", "/proc/42/ns/user")
	c = mustConvert(t, g.Config, testOpts())
	if ns, ok := c.Namespace(configs.NEWUSER); !ok || ns.Path != "/proc/42/ns/user" || c.UIDMappings != nil {
		t.Errorf("joined userns: %+v %+v", ns, c.UIDMappings)
	}

	// Joined uts namespace may still carry a hostname (runc does the same).
	g = newGen(t)
	_ = g.AddOrReplaceLinuxNamespace("uts", "/proc/42/ns/uts")
	if c = mustConvert(t, g.Config, testOpts()); c.Hostname != "mrsdalloway" {
		t.Errorf("hostname %q", c.Hostname)
	}
}

func TestSysctl(t *testing.T) {
	g := newGen(t)
	_ = g.AddOrReplaceLinuxNamespace("network", "/var/run/netns/pod")
	for k, v := range map[string]string{
		"net.ipv4.ping_group_range":        "0 0",
		"net/ipv4/conf/eno2.100/rp_filter": "1",
		"kernel.shm_rmid_forced":           "1",
		"kernel/msgmax":                    "8192",
		"fs.mqueue.queues_max":             "512",
		"kernel.domainname":                "example.org",
		"user.max_user_namespaces":         "10",
	} {
		g.AddLinuxSysctl(k, v)
	}
	_ = g.AddOrReplaceLinuxNamespace("user", "")
	g.AddLinuxUIDMapping(100000, 0, 65536)
	g.AddLinuxGIDMapping(100000, 0, 65536)
	c := mustConvert(t, g.Config, testOpts())
	want := map[string]string{
		"net.ipv4.ping_group_range":        "0 0",
		"net.ipv4.conf.eno2/100.rp_filter": "1",
		"kernel.shm_rmid_forced":           "1",
		"kernel.msgmax":                    "8192",
		"fs.mqueue.queues_max":             "512",
		"kernel.domainname":                "example.org",
		"user.max_user_namespaces":         "10",
	}
	if !reflect.DeepEqual(c.Sysctl, want) {
		t.Errorf("sysctl %v\nwant   %v", c.Sysctl, want)
	}
}

func TestNetDevices(t *testing.T) {
	g := newGen(t)
	g.Config.Linux.NetDevices = map[string]specs.LinuxNetDevice{
		"veth1": {Name: "eth0"}, "enp3s0": {}, "dummy0": {Name: "ctr%d"}, "dummy1": {Name: "ctr%d"},
	}
	c := mustConvert(t, g.Config, testOpts())
	want := []configs.NetDevice{
		{HostName: "dummy0", Name: "ctr%d"}, {HostName: "dummy1", Name: "ctr%d"},
		{HostName: "enp3s0", Name: "enp3s0"}, {HostName: "veth1", Name: "eth0"},
	}
	if !reflect.DeepEqual(c.NetDevices, want) {
		t.Errorf("netDevices %+v\nwant %+v", c.NetDevices, want)
	}
}

func TestCgroups(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		systemd bool
	}{
		{"empty cgroupfs", "", false},
		{"empty systemd", "", true},
		{"podman", "/libpod_parent/libpod-abc", false},
		{"podman pod", "/libpod_parent/podid/libpod-abc", false},
		{"relative", "mygroup/ctr", false},
		{"systemd", "machine.slice:libpod:abc", true},
		{"systemd default slice", ":docker:abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t)
			g.SetLinuxCgroupsPath(tt.path)
			o := testOpts()
			o.CgroupsSystemd = tt.systemd
			c := mustConvert(t, g.Config, o)
			if c.Cgroups.Path != tt.path || c.Cgroups.Systemd != tt.systemd {
				t.Errorf("cgroups %+v", c.Cgroups)
			}
		})
	}

	// Device rules: unset type means all, -1 means any.
	g := newGen(t)
	g.AddLinuxResourcesDevice(true, "c", ptr(int64(-1)), ptr(int64(3)), "rw")
	g.AddLinuxResourcesDevice(true, "b", ptr(int64(8)), nil, "m")
	g.SetLinuxResourcesMemoryLimit(1 << 27)
	g.SetLinuxResourcesMemorySwap(1 << 28)
	g.SetLinuxResourcesCPUQuota(25000)
	g.SetLinuxResourcesCPUPeriod(100000)
	g.SetLinuxResourcesCPUCpus("0-3,7")
	g.SetLinuxResourcesPidsLimit(-1)
	g.AddLinuxResourcesHugepageLimit("2MB", 1<<21)
	g.AddLinuxResourcesUnified("memory.high", "max")
	g.Config.Linux.Resources.Rdma = map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptr(uint32(3))}}
	c := mustConvert(t, g.Config, testOpts())
	r := c.Cgroups.Resources
	want := []specs.LinuxDeviceCgroup{
		{Allow: false, Type: "a", Access: "rwm"}, // ours: start from deny all
		{Allow: false, Type: "a", Access: "rwm"}, // the generator's
		{Allow: true, Type: "c", Minor: ptr(int64(3)), Access: "rw"},
		{Allow: true, Type: "b", Major: ptr(int64(8)), Access: "m"},
	}
	if !reflect.DeepEqual(r.Devices[:len(want)], want) {
		t.Errorf("device rules %+v", r.Devices)
	}
	if got := r.Devices[len(want) : len(want)+len(defaultAllowedDevices)]; !reflect.DeepEqual(got, defaultAllowedDevices) {
		t.Errorf("default device rules not appended: %+v", got)
	}
	if *r.Memory.Limit != 1<<27 || *r.Memory.Swap != 1<<28 || *r.CPU.Quota != 25000 || r.CPU.Cpus != "0-3,7" ||
		*r.Pids.Limit != -1 || r.HugepageLimits[0].Pagesize != "2MB" || r.Unified["memory.high"] != "max" || *r.Rdma["mlx5_1"].HcaHandles != 3 {
		t.Errorf("resources not copied: %+v", r)
	}
	// The spec's own rule list is untouched by the normalisation.
	if g.Config.Linux.Resources.Devices[0].Type != "" {
		t.Error("spec device rule was modified")
	}
}

func TestValidateResources(t *testing.T) {
	r, err := ValidateResources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(134217728)), Swap: ptr(int64(268435456))}}, "resources")
	if err != nil || *r.Memory.Limit != 134217728 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, cpus := range []string{"0", "0-3,7", "1,3-5", "0-31:2/8", "0-N", "N"} {
		if _, err := ValidateResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: cpus, Mems: cpus}}, "resources"); err != nil {
			t.Errorf("cpus %q: %v", cpus, err)
		}
	}
	_, err = ValidateResources(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "x"}}, "resources")
	checkFieldErr(t, err, "resources.cpu.cpus", "not a CPU list")
	_, err = ValidateResources(nil, "resources")
	checkFieldErr(t, err, "resources", "required")
}

func TestSeccomp(t *testing.T) {
	g := newGen(t)
	s := g.Config.Linux.Seccomp
	s.DefaultAction = specs.ActErrno
	s.DefaultErrnoRet = ptr(uint(38))
	s.Flags = []specs.LinuxSeccompFlag{}
	s.ListenerPath = "/run/agent.sock"
	s.ListenerMetadata = "meta"
	s.Syscalls = append(s.Syscalls,
		specs.LinuxSyscall{Names: []string{"mknod", "mknodat"}, Action: specs.ActNotify},
		specs.LinuxSyscall{Names: []string{"ptrace"}, Action: specs.ActTrace, ErrnoRet: ptr(uint(1000))},
		specs.LinuxSyscall{Names: []string{"kill"}, Action: specs.ActKillThread},
		specs.LinuxSyscall{Names: []string{"open"}, Action: specs.ActLog, Args: []specs.LinuxSeccompArg{{Index: 5, Value: 1, ValueTwo: 2, Op: specs.OpMaskedEqual}}},
	)
	c := mustConvert(t, g.Config, testOpts())
	if !reflect.DeepEqual(c.Seccomp, s) {
		t.Errorf("seccomp not copied faithfully")
	}
	if c.Seccomp.Flags == nil {
		t.Error("an empty flags list became nil")
	}
	g.Config.Linux.Seccomp.Flags = nil
	if c = mustConvert(t, g.Config, testOpts()); c.Seccomp.Flags != nil {
		t.Error("nil flags became a list")
	}
	for _, f := range []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv} {
		g.Config.Linux.Seccomp.Flags = []specs.LinuxSeccompFlag{f}
		mustConvert(t, g.Config, testOpts())
	}
}

func TestFilesystemPathsAndPersonality(t *testing.T) {
	g := newGen(t)
	g.AddLinuxMaskedPaths("/proc/kcore")
	g.AddLinuxMaskedPaths("/sys/firmware/")
	g.AddLinuxReadonlyPaths("/proc/sys")
	g.SetLinuxMountLabel("system_u:object_r:container_file_t:s0")
	g.Config.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	for prop, want := range map[string]uint64{
		"":            0,
		"private":     unix.MS_PRIVATE,
		"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
		"shared":      unix.MS_SHARED,
		"rshared":     unix.MS_SHARED | unix.MS_REC,
		"slave":       unix.MS_SLAVE,
		"rslave":      unix.MS_SLAVE | unix.MS_REC,
		"unbindable":  unix.MS_UNBINDABLE,
		"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	} {
		g.Config.Linux.RootfsPropagation = prop
		c := mustConvert(t, g.Config, testOpts())
		if c.RootPropagation != want {
			t.Errorf("rootfsPropagation %q = %#x; want %#x", prop, c.RootPropagation, want)
		}
		if !slices.Equal(c.MaskPaths, []string{"/proc/kcore", "/sys/firmware"}) || !slices.Equal(c.ReadonlyPaths, []string{"/proc/sys"}) {
			t.Errorf("paths %v %v", c.MaskPaths, c.ReadonlyPaths)
		}
		if c.MountLabel != "system_u:object_r:container_file_t:s0" {
			t.Errorf("mountLabel %q", c.MountLabel)
		}
		if c.Personality == nil || c.Personality.Domain != 8 {
			t.Errorf("personality %+v", c.Personality)
		}
	}
	g.Config.Linux.Personality.Domain = specs.PerLinux
	if c := mustConvert(t, g.Config, testOpts()); c.Personality.Domain != 0 {
		t.Errorf("LINUX = %d", c.Personality.Domain)
	}
}

func TestHooks(t *testing.T) {
	g := newGen(t)
	h := &specs.Hooks{
		Prestart:        []specs.Hook{{Path: "/usr/bin/prestart"}},
		CreateRuntime:   []specs.Hook{{Path: "/usr/bin/netns", Args: []string{"netns", "add"}, Env: []string{"A=b"}, Timeout: ptr(10)}},
		CreateContainer: []specs.Hook{{Path: "/a"}},
		StartContainer:  []specs.Hook{{Path: "/b"}, {Path: "/b2", Env: []string{"X=1"}}},
		Poststart:       []specs.Hook{{Path: "/c"}},
		Poststop:        []specs.Hook{{Path: "/d"}, {Path: "/e"}},
	}
	g.Config.Hooks = h
	c := mustConvert(t, g.Config, testOpts())
	// A startContainer hook without an env gets the process's.
	if !reflect.DeepEqual(c.Hooks.StartContainer[0].Env, c.Process.Env) || len(c.Process.Env) == 0 {
		t.Errorf("startContainer hook env %q, process env %q", c.Hooks.StartContainer[0].Env, c.Process.Env)
	}
	h.StartContainer[0].Env = c.Process.Env
	if !reflect.DeepEqual(c.Hooks, h) {
		t.Errorf("hooks %+v\nwant  %+v", c.Hooks, h)
	}
	g.Config.Hooks = nil
	if c = mustConvert(t, g.Config, testOpts()); c.Hooks != nil {
		t.Errorf("hooks %+v; want nil", c.Hooks)
	}
}

func TestNoLinuxSection(t *testing.T) {
	g := newGen(t)
	g.Config.Linux = nil
	_, err := ToConfig(g.Config, testOpts())
	// Without a linux section there is no mount namespace, and the hostname
	// has no UTS namespace; the first problem met is reported.
	checkFieldErr(t, err, "linux.namespaces", "a mount namespace is required")
}

// A mount namespace may be joined by path like any other; a FIFO's major
// and minor, which the spec does not ask for, are dropped.
func TestJoinedMountNamespaceAndFifoNumbers(t *testing.T) {
	g := newGen(t)
	if err := g.AddOrReplaceLinuxNamespace("mount", "/proc/1/ns/mnt"); err != nil {
		t.Fatal(err)
	}
	g.AddDevice(specs.LinuxDevice{Path: "/dev/fifo", Type: "p", Major: 1, Minor: 2})
	c := mustConvert(t, g.Config, testOpts())
	if ns, ok := c.Namespace(configs.NEWNS); !ok || ns.Path != "/proc/1/ns/mnt" {
		t.Errorf("mount namespace %+v, %v", ns, ok)
	}
	for _, d := range c.Devices {
		if d.Path == "/dev/fifo" && (d.Type != 'p' || d.Major != 0 || d.Minor != 0) {
			t.Errorf("fifo %+v", d)
		}
	}
}

func TestProcessEnv(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{}, []string{}},
		{[]string{"A=1", "B=2"}, []string{"A=1", "B=2"}},
		// The last value wins, in the place of the last occurrence.
		{[]string{"A=1", "B=2", "A=3"}, []string{"B=2", "A=3"}},
		{[]string{"A=", "A=x"}, []string{"A=x"}},
		// An empty HOME is left out, so that /etc/passwd supplies it.
		{[]string{"HOME=", "PATH=/bin"}, []string{"PATH=/bin"}},
		{[]string{"HOME=/h", "HOME="}, []string{}},
		{[]string{"HOME=", "HOME=/h"}, []string{"HOME=/h"}},
	} {
		if got := ProcessEnv(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ProcessEnv(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
