package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// world is a temporary directory with a rootfs in it and a setup whose
// kernel only records.
type world struct {
	t      *testing.T
	base   string
	rootfs string
	k      *fakeKernel
	s      *setup
	infos  []*mountinfo.Info
}

func newWorld(t *testing.T) *world {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, base: base, rootfs: filepath.Join(base, "rootfs")}
	w.mkdir("rootfs")
	w.k = newFakeKernel(t, base)
	w.s = &setup{k: w.k, root: w.rootfs, mountinfo: func() ([]*mountinfo.Info, error) { return w.infos, nil }}
	return w
}

func (w *world) mkdir(rel string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Join(w.base, rel), 0o755); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) file(rel, content string) {
	w.t.Helper()
	w.mkdir(filepath.Dir(rel))
	if err := os.WriteFile(filepath.Join(w.base, rel), []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) symlink(rel, target string) {
	w.t.Helper()
	w.mkdir(filepath.Dir(rel))
	if err := os.Symlink(target, filepath.Join(w.base, rel)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) config(mounts ...*configs.Mount) *configs.Config {
	return &configs.Config{Rootfs: w.rootfs, Mounts: mounts}
}

func checkCalls(t *testing.T, got, want []string) {
	t.Helper()
	n := max(len(got), len(want))
	bad := false
	for i := 0; i < n; i++ {
		var g, wa string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			wa = want[i]
		}
		if g != wa {
			bad = true
			t.Errorf("call %d:\n   got %s\n  want %s", i, g, wa)
		}
	}
	if bad {
		t.Logf("all calls:\n%s", strings.Join(got, "\n"))
	}
}

const (
	propSlave = `mount "" / "" MS_REC|MS_SLAVE ""`
	selfBind  = `mount $T/rootfs $T/rootfs bind MS_BIND|MS_REC ""`
)

func bind(src, dst string, flags uint64) *configs.Mount {
	return &configs.Mount{Source: src, Destination: dst, Device: "bind", Flags: unix.MS_BIND | flags}
}

func TestPrepareOrder(t *testing.T) {
	w := newWorld(t)
	w.mkdir("src")
	w.file("hostname", "ctr")
	w.k.statfs["$T/src"] = unix.Statfs_t{Flags: unix.ST_NOSUID | unix.ST_NODEV}
	w.k.statfs["$T/hostname"] = unix.Statfs_t{Flags: unix.ST_NOSUID | unix.ST_NOEXEC}
	nodevCleared := bind(w.base+"/hostname", "/etc/hostname", unix.MS_RDONLY)
	nodevCleared.ClearedFlags = unix.MS_NOSUID
	cfg := w.config(
		&configs.Mount{Source: "proc", Destination: "/proc", Device: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		&configs.Mount{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID, Data: "mode=755"},
		&configs.Mount{Source: "devpts", Destination: "/dev/pts", Device: "devpts", Data: "newinstance,ptmxmode=0666"},
		bind(w.base+"/src", "/data", unix.MS_REC|unix.MS_RDONLY),
		nodevCleared,
		bind(w.base+"/src", "/plain", 0),
	)
	cfg.Devices = []*configs.Device{
		{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
		{Path: "/dev/net/tun", Type: 'c', Major: 10, Minor: 200, FileMode: 0o600, UID: 5, GID: 6},
		{Path: "/dev/fifo", Type: 'p', FileMode: 0o644},
	}
	if err := w.s.prepare(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls, []string{
		propSlave,
		selfBind,
		`mount proc $T/rootfs/proc proc MS_NOSUID|MS_NODEV|MS_NOEXEC ""`,
		`mount tmpfs $T/rootfs/dev tmpfs MS_NOSUID mode=755`,
		`mount devpts $T/rootfs/dev/pts devpts 0 newinstance,ptmxmode=0666`,
		`mount $T/src $T/rootfs/data bind MS_BIND|MS_REC ""`,
		// the source's nosuid and nodev are kept
		`mount "" $T/rootfs/data "" MS_RDONLY|MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND ""`,
		`mount $T/hostname $T/rootfs/etc/hostname bind MS_BIND ""`,
		// "suid" cleared nosuid; noexec stays
		`mount "" $T/rootfs/etc/hostname "" MS_RDONLY|MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
		`mount $T/src $T/rootfs/plain bind MS_BIND ""`,
		`mknod $T/rootfs/dev/null 020666 1:3`,
		`chown $T/rootfs/dev/null 0:0`,
		`mknod $T/rootfs/dev/net/tun 020600 10:200`,
		`chown $T/rootfs/dev/net/tun 5:6`,
		`mknod $T/rootfs/dev/fifo 010644 0:0`,
		`chown $T/rootfs/dev/fifo 0:0`,
	})
	// A bind of a file gets a file to land on.
	if st, err := os.Lstat(filepath.Join(w.rootfs, "etc/hostname")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("etc/hostname: %v, %v", st, err)
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
	} {
		got, err := os.Readlink(filepath.Join(w.rootfs, "dev", name))
		if err != nil || got != target {
			t.Errorf("/dev/%s -> %q (%v), want %q", name, got, err, target)
		}
	}
	if _, err := os.Lstat(filepath.Join(w.rootfs, "dev/core")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/dev/core without a host kcore: %v", err)
	}
}

func TestPrepareDevCoreAndPtmxReplaced(t *testing.T) {
	w := newWorld(t)
	w.file("kcore", "")
	w.file("rootfs/dev/ptmx", "planted")
	w.symlink("rootfs/dev/stdin", "/elsewhere")
	w.s.hostKcore = filepath.Join(w.base, "kcore")
	if err := w.s.prepare(w.config(), Options{}); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"core": "/proc/kcore", "ptmx": "pts/ptmx", "stdin": "/elsewhere"} {
		if got, err := os.Readlink(filepath.Join(w.rootfs, "dev", name)); err != nil || got != target {
			t.Errorf("/dev/%s -> %q (%v), want %q", name, got, err, target)
		}
	}
}

func TestPrepareSharedRootPropagation(t *testing.T) {
	w := newWorld(t)
	w.infos = []*mountinfo.Info{
		{Mountpoint: "/", Optional: "shared:1", FSType: "ext4"},
		{Mountpoint: "/proc", Optional: "shared:5", FSType: "proc"},
	}
	cfg := w.config()
	cfg.RootPropagation = unix.MS_SHARED | unix.MS_REC
	if err := w.s.prepare(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[:3], []string{
		`mount "" / "" MS_REC|MS_SHARED ""`,
		`mount "" / "" MS_PRIVATE ""`,
		selfBind,
	})
}

// An unbindable "/" would make the rootfs's self-bind fail (EINVAL): it
// stays private until Finish.
func TestPrepareUnbindableRootPropagation(t *testing.T) {
	for prop, first := range map[uint64]string{
		unix.MS_UNBINDABLE:               `mount "" / "" MS_PRIVATE ""`,
		unix.MS_UNBINDABLE | unix.MS_REC: `mount "" / "" MS_REC|MS_PRIVATE ""`,
	} {
		w := newWorld(t)
		cfg := w.config()
		cfg.RootPropagation = prop
		if err := w.s.prepare(cfg, Options{}); err != nil {
			t.Fatal(err)
		}
		checkCalls(t, w.k.calls[:2], []string{first, selfBind})
	}
}

func TestPrepareHostileDestinations(t *testing.T) {
	w := newWorld(t)
	w.mkdir("canary")
	w.mkdir("src")
	canary := filepath.Join(w.base, "canary")
	w.symlink("rootfs/abs", canary)
	w.symlink("rootfs/rel", strings.Repeat("../", 20)+strings.TrimPrefix(canary, "/"))
	w.symlink("rootfs/etc/resolv.conf", "../run/resolv.conf") // dangling, common in images
	w.file("resolv", "nameserver 1.1.1.1")
	cfg := w.config(
		&configs.Mount{Source: "tmpfs", Destination: "/abs/x", Device: "tmpfs"},
		bind(w.base+"/src", "/rel", unix.MS_REC),
		bind(w.base+"/resolv", "/etc/resolv.conf", 0),
	)
	if err := w.s.prepare(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:5], []string{
		`mount tmpfs $T/rootfs` + canary + `/x tmpfs 0 ""`,
		`mount $T/src $T/rootfs` + canary + ` bind MS_BIND|MS_REC ""`,
		`mount $T/resolv $T/rootfs/run/resolv.conf bind MS_BIND ""`,
	})
	if ents, err := os.ReadDir(canary); err != nil || len(ents) != 0 {
		t.Errorf("the host's canary was touched: %v %v", ents, err)
	}
}

func TestPrepareProcThroughSymlinkRefused(t *testing.T) {
	for _, tc := range []struct{ name, link string }{
		{"absolute", "/"},
		{"to a sibling", "sys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.mkdir("rootfs/sys")
			w.symlink("rootfs/proc", tc.link)
			err := w.s.prepare(w.config(&configs.Mount{Source: "proc", Destination: "/proc", Device: "proc"}), Options{})
			if err == nil || !strings.Contains(err.Error(), `mount "proc" on /proc: destination /proc is reached through a symlink`) {
				t.Fatalf("got %v", err)
			}
			for _, c := range w.k.calls {
				if strings.HasPrefix(c, "mount proc") {
					t.Errorf("proc was mounted: %s", c)
				}
			}
		})
	}
}

func TestPrepareErrorNamesMount(t *testing.T) {
	w := newWorld(t)
	w.k.fail["mount proc"] = unix.EACCES
	err := w.s.prepare(w.config(&configs.Mount{Source: "proc", Destination: "/proc", Device: "proc"}), Options{})
	if err == nil || err.Error() != `mount "proc" on /proc: permission denied` {
		t.Fatalf("got %v", err)
	}

	w = newWorld(t)
	err = w.s.prepare(w.config(bind(w.base+"/missing", "/x", 0)), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "bind mount "+w.base+"/missing on /x: open source: ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}

	w = newWorld(t)
	err = w.s.prepare(w.config(&configs.Mount{Source: "x", Destination: "/", Device: "tmpfs"}), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `mount "tmpfs" on /: `) {
		t.Fatalf("got %v", err)
	}
}

func TestPrepareRecAttrAndPropagation(t *testing.T) {
	w := newWorld(t)
	w.mkdir("src")
	m := bind(w.base+"/src", "/data", unix.MS_REC|unix.MS_NOEXEC)
	m.RecAttrSet = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID
	m.PropagationFlags = []uint64{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SHARED}
	tm := &configs.Mount{Source: "tmpfs", Destination: "/t", Device: "tmpfs", RecAttrClr: unix.MOUNT_ATTR_NOEXEC,
		PropagationFlags: []uint64{unix.MS_UNBINDABLE}}
	if err := w.s.prepare(w.config(m, tm), Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:], []string{
		`mount $T/src $T/rootfs/data bind MS_BIND|MS_REC ""`,
		`mount "" $T/rootfs/data "" MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
		`mount_setattr $T/rootfs/data set=0x3 clr=0x0 AT_RECURSIVE`,
		`mount "" $T/rootfs/data "" MS_REC|MS_PRIVATE ""`,
		`mount "" $T/rootfs/data "" MS_SHARED ""`,
		`mount tmpfs $T/rootfs/t tmpfs 0 ""`,
		`mount_setattr $T/rootfs/t set=0x0 clr=0x8 AT_RECURSIVE`,
		`mount "" $T/rootfs/t "" MS_UNBINDABLE ""`,
	})
}

func TestPrepareReopenSeesNoNewMount(t *testing.T) {
	// A remount must go to the new mount; when the destination no longer
	// leads to it, nothing is remounted.
	w := newWorld(t)
	w.mkdir("src")
	k := &noNewMountKernel{w.k}
	w.s.k = k
	err := w.s.prepare(w.config(bind(w.base+"/src", "/data", unix.MS_RDONLY)), Options{})
	if err == nil || !strings.Contains(err.Error(), "the new mount is not at /data") {
		t.Fatalf("got %v", err)
	}
	for _, c := range w.k.calls {
		if strings.Contains(c, "MS_REMOUNT") {
			t.Errorf("remounted: %s", c)
		}
	}
}

// noNewMountKernel mounts nothing the reopen can see.
type noNewMountKernel struct{ *fakeKernel }

func (k *noNewMountKernel) MountID(int) (uint64, error) { return 1, nil }

func TestPrepareTmpcopyup(t *testing.T) {
	w := newWorld(t)
	w.file("rootfs/data/keep", "x")
	var copied []string
	w.s.copyTree = func(old, new *os.File) error {
		copied = append(copied, w.k.show(fdPath(old))+" -> "+w.k.show(fdPath(new)))
		return nil
	}
	m := &configs.Mount{Source: "tmpfs", Destination: "/data", Device: "tmpfs", Data: "mode=1777", TmpcopyUp: true}
	if err := w.s.prepare(w.config(m), Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:3], []string{`mount tmpfs $T/rootfs/data tmpfs 0 mode=1777`})
	checkCalls(t, copied, []string{"$T/rootfs/data -> $T/rootfs/data"})

	w = newWorld(t)
	m = &configs.Mount{Source: "x", Destination: "/data", Device: "ramfs", TmpcopyUp: true}
	if err := w.s.prepare(w.config(m), Options{}); err == nil || err.Error() != `mount "ramfs" on /data: tmpcopyup needs a tmpfs` {
		t.Fatalf("got %v", err)
	}
}

func TestPrepareDevicesInUserNS(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(&configs.Mount{Source: "tmpfs", Destination: "/dev", Device: "tmpfs"})
	cfg.Devices = []*configs.Device{
		{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
		{Path: "/dev/fifo", Type: 'p', FileMode: 0o600},
	}
	if err := w.s.prepare(cfg, Options{InUserNS: true}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:], []string{
		`mount tmpfs $T/rootfs/dev tmpfs 0 ""`,
		`mount /dev/null $T/rootfs/dev/null bind MS_BIND ""`,
		`mknod $T/rootfs/dev/fifo 010600 0:0`,
		`chown $T/rootfs/dev/fifo 0:0`,
	})
	if st, err := os.Lstat(filepath.Join(w.rootfs, "dev/null")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("bind target: %v %v", st, err)
	}
}

func TestPrepareDevicesMknodEPERM(t *testing.T) {
	w := newWorld(t)
	w.k.fail["mknod $T/rootfs/dev/null"] = unix.EPERM
	cfg := w.config()
	cfg.Devices = []*configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666}}
	if err := w.s.prepare(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:], []string{
		`mknod $T/rootfs/dev/null 020666 1:3`,
		`mount /dev/null $T/rootfs/dev/null bind MS_BIND ""`,
	})

	// The host's node must be the device the config describes.
	w = newWorld(t)
	cfg = w.config()
	cfg.Devices = []*configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 5, FileMode: 0o666}}
	err := w.s.prepare(cfg, Options{InUserNS: true})
	if err == nil || !strings.Contains(err.Error(), "device /dev/null: cannot create device nodes here, and the host's /dev/null is not device c 1:5") {
		t.Fatalf("got %v", err)
	}
}

func TestPrepareDevHostBind(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(bind("/dev", "/dev", unix.MS_REC))
	cfg.Devices = []*configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666}}
	if err := w.s.prepare(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:], []string{`mount /dev $T/rootfs/dev bind MS_BIND|MS_REC ""`})
	if _, err := os.Lstat(filepath.Join(w.rootfs, "dev/fd")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("links were made in a host /dev: %v", err)
	}
}

func TestPrepareSysfsInUserNSFallsBackToBind(t *testing.T) {
	sysfs := unix.Statfs_t{Type: unix.SYSFS_MAGIC}
	w := newWorld(t)
	w.k.fail["mount sysfs"] = unix.EPERM
	w.k.statfs["/sys"] = sysfs
	cfg := w.config(&configs.Mount{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: unix.MS_RDONLY | unix.MS_NOSUID})
	if err := w.s.prepare(cfg, Options{InUserNS: true}); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[2:], []string{
		`mount sysfs $T/rootfs/sys sysfs MS_RDONLY|MS_NOSUID ""`,
		`mount /sys $T/rootfs/sys bind MS_BIND|MS_REC ""`,
		`mount "" $T/rootfs/sys "" MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND ""`,
	})

	// When the bind fails too, the error says why the container may not
	// mount sysfs and what would let it.
	fix := `a user namespace may mount sysfs only in network namespaces it owns, and binding the host's /sys instead failed: %s; ` +
		`give the container its own network namespace (a "network" entry in linux.namespaces without a path)`
	w = newWorld(t)
	w.k.fail["mount sysfs"] = unix.EPERM
	w.k.fail["mount /sys"] = unix.EACCES
	w.k.statfs["/sys"] = sysfs
	err := w.s.prepare(w.config(&configs.Mount{Source: "sysfs", Destination: "/sys", Device: "sysfs"}), Options{InUserNS: true})
	want := `mount "sysfs" on /sys: operation not permitted: ` + fmt.Sprintf(fix, "permission denied")
	if err == nil || err.Error() != want {
		t.Fatalf("bind fallback failing:\n got %v\nwant %s", err, want)
	}

	// A host /sys that is no sysfs is not bound: the container would take
	// it for its sysfs.
	w = newWorld(t)
	w.k.fail["mount sysfs"] = unix.EPERM
	w.k.statfs["/sys"] = unix.Statfs_t{Type: unix.TMPFS_MAGIC}
	err = w.s.prepare(w.config(&configs.Mount{Source: "sysfs", Destination: "/sys", Device: "sysfs"}), Options{InUserNS: true})
	want = `mount "sysfs" on /sys: operation not permitted: ` + fmt.Sprintf(fix, "/sys is not a sysfs")
	if err == nil || err.Error() != want {
		t.Fatalf("host /sys not a sysfs:\n got %v\nwant %s", err, want)
	}
	checkCalls(t, w.k.calls[2:], []string{`mount sysfs $T/rootfs/sys sysfs 0 ""`})

	w = newWorld(t)
	w.k.fail["mount sysfs"] = unix.EPERM
	err = w.s.prepare(w.config(&configs.Mount{Source: "sysfs", Destination: "/sys", Device: "sysfs"}), Options{})
	if err == nil || err.Error() != `mount "sysfs" on /sys: operation not permitted` {
		t.Fatalf("without a user namespace: %v", err)
	}
}

var hybridHost = []*mountinfo.Info{
	{Mountpoint: "/sys/fs/cgroup", FSType: "tmpfs", VFSOptions: "rw,mode=755"},
	{Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", VFSOptions: "rw,cpu,cpuacct"},
	{Mountpoint: "/sys/fs/cgroup/memory", FSType: "cgroup", VFSOptions: "rw,memory"},
	{Mountpoint: "/sys/fs/cgroup/systemd", FSType: "cgroup", VFSOptions: "rw,xattr,release_agent=/x,name=systemd"},
	{Mountpoint: "/sys/fs/cgroup/unified", FSType: "cgroup2", VFSOptions: "rw,nsdelegate"},
}

var unifiedHost = []*mountinfo.Info{
	{Mountpoint: "/sys/fs/cgroup", FSType: "cgroup2", VFSOptions: "rw,nsdelegate"},
}

func cgroupMountCfg(flags, cleared uint64) *configs.Mount {
	return &configs.Mount{Source: "cgroup", Destination: "/sys/fs/cgroup", Device: "cgroup",
		Flags: flags, ClearedFlags: cleared}
}

func TestCgroupMounts(t *testing.T) {
	const nse = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	tests := []struct {
		name  string
		infos []*mountinfo.Info
		m     *configs.Mount
		opts  Options
		want  []string
		links map[string]string
		// busy: the kernel refuses the cgroup2 mount with EBUSY.
		busy bool
	}{{
		name: "v1 with cgroupns", infos: hybridHost, m: cgroupMountCfg(nse, 0), opts: Options{HasCgroupNS: true},
		want: []string{
			`mount tmpfs $T/rootfs/sys/fs/cgroup tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC mode=755`,
			`mount cgroup $T/rootfs/sys/fs/cgroup/cpu,cpuacct cgroup MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC cpu,cpuacct`,
			`mount cgroup $T/rootfs/sys/fs/cgroup/memory cgroup MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC memory`,
			`mount cgroup $T/rootfs/sys/fs/cgroup/systemd cgroup MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC xattr,name=systemd`,
			`mount cgroup2 $T/rootfs/sys/fs/cgroup/unified cgroup2 MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup "" MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
		},
		links: map[string]string{"cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct"},
	}, {
		name: "v1 without cgroupns binds the container's cgroups", infos: hybridHost, m: cgroupMountCfg(0, 0),
		opts: Options{CgroupPaths: map[string]string{"cpuacct": "/h/cpu/ctr", "systemd": "/h/systemd/ctr", "": "/h/unified/ctr"}},
		want: []string{
			`mount tmpfs $T/rootfs/sys/fs/cgroup tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC mode=755`,
			`mount $T/h/cpu/ctr $T/rootfs/sys/fs/cgroup/cpu,cpuacct bind MS_BIND|MS_REC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup/cpu,cpuacct "" MS_RDONLY|MS_REMOUNT|MS_BIND ""`,
			// no path for memory: not shown
			`mount $T/h/systemd/ctr $T/rootfs/sys/fs/cgroup/systemd bind MS_BIND|MS_REC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup/systemd "" MS_RDONLY|MS_REMOUNT|MS_BIND ""`,
			`mount $T/h/unified/ctr $T/rootfs/sys/fs/cgroup/unified bind MS_BIND|MS_REC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup/unified "" MS_RDONLY|MS_REMOUNT|MS_BIND ""`,
			`mount "" $T/rootfs/sys/fs/cgroup "" MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
		},
	}, {
		name: "v1 rw", infos: hybridHost[:3], m: cgroupMountCfg(0, unix.MS_RDONLY), opts: Options{HasCgroupNS: true},
		want: []string{
			`mount tmpfs $T/rootfs/sys/fs/cgroup tmpfs MS_NOSUID|MS_NODEV|MS_NOEXEC mode=755`,
			`mount cgroup $T/rootfs/sys/fs/cgroup/cpu,cpuacct cgroup 0 cpu,cpuacct`,
			`mount cgroup $T/rootfs/sys/fs/cgroup/memory cgroup 0 memory`,
		},
	}, {
		name: "v2 with cgroupns", infos: unifiedHost, m: cgroupMountCfg(nse, 0), opts: Options{HasCgroupNS: true},
		want: []string{
			`mount cgroup2 $T/rootfs/sys/fs/cgroup cgroup2 MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC ""`,
		},
	}, {
		name:  "v2 with cgroupns where the hierarchy is mounted already binds the container's cgroup",
		infos: unifiedHost, m: cgroupMountCfg(nse, 0), busy: true,
		opts: Options{HasCgroupNS: true, CgroupPaths: map[string]string{"": "/h/unified/ctr"}},
		want: []string{
			`mount cgroup2 $T/rootfs/sys/fs/cgroup cgroup2 MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC ""`,
			`mount $T/h/unified/ctr $T/rootfs/sys/fs/cgroup bind MS_BIND|MS_REC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup "" MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
		},
	}, {
		name:  "v2 with cgroupns where the hierarchy is mounted already, without a cgroup, masks",
		infos: unifiedHost, m: cgroupMountCfg(nse, 0), busy: true, opts: Options{HasCgroupNS: true},
		want: []string{
			`mount cgroup2 $T/rootfs/sys/fs/cgroup cgroup2 MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC ""`,
			`mount tmpfs $T/rootfs/sys/fs/cgroup tmpfs MS_RDONLY ""`,
		},
	}, {
		name: "v2 without cgroupns", infos: unifiedHost, m: cgroupMountCfg(0, 0),
		opts: Options{CgroupPaths: map[string]string{"": "/h/unified/ctr"}},
		want: []string{
			`mount $T/h/unified/ctr $T/rootfs/sys/fs/cgroup bind MS_BIND|MS_REC ""`,
			`mount "" $T/rootfs/sys/fs/cgroup "" MS_RDONLY|MS_REMOUNT|MS_BIND ""`,
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.infos = tc.infos
			if tc.busy {
				w.k.fail["mount cgroup2"] = unix.EBUSY
			}
			for k, p := range tc.opts.CgroupPaths {
				w.mkdir(p)
				tc.opts.CgroupPaths[k] = filepath.Join(w.base, p)
			}
			if err := w.s.prepare(w.config(tc.m), tc.opts); err != nil {
				t.Fatal(err)
			}
			checkCalls(t, w.k.calls[2:], tc.want)
			for name, target := range tc.links {
				if got, err := os.Readlink(filepath.Join(w.rootfs, "sys/fs/cgroup", name)); err != nil || got != target {
					t.Errorf("link %s -> %q (%v), want %q", name, got, err, target)
				}
			}
		})
	}

	w := newWorld(t)
	w.infos = unifiedHost
	err := w.s.prepare(w.config(cgroupMountCfg(0, 0)), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), `mount "cgroup" on /sys/fs/cgroup: no cgroup directory`) {
		t.Fatalf("v2 without paths: %v", err)
	}
}

func finishWorld(t *testing.T, withProc bool) *world {
	w := newWorld(t)
	w.file("rootfs/proc/kcore", "secret")
	w.mkdir("rootfs/sys/firmware")
	w.mkdir("rootfs/proc/sys")
	w.mkdir("rootfs/ro")
	if withProc {
		w.k.statfs["$T/rootfs/proc/self/fd"] = unix.Statfs_t{Type: unix.PROC_SUPER_MAGIC}
	}
	w.k.statfs["$T/rootfs/proc/sys"] = unix.Statfs_t{Flags: unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC}
	w.k.statfs["$T/rootfs"] = unix.Statfs_t{Flags: unix.ST_NODEV}
	return w
}

func TestFinishPivot(t *testing.T) {
	for _, withProc := range []bool{true, false} {
		name := "by handle"
		if !withProc {
			name = "by path without procfs"
		}
		t.Run(name, func(t *testing.T) {
			w := finishWorld(t, withProc)
			cfg := w.config()
			cfg.MaskPaths = []string{"/sys/firmware", "/proc/acpi", "/nonexistent/deeper"}
			cfg.ReadonlyPaths = []string{"/proc/sys", "/ro", "/missing"}
			cfg.Readonly = true
			cfg.RootPropagation = unix.MS_SHARED | unix.MS_REC
			if err := w.s.finish(cfg, false); err != nil {
				t.Fatal(err)
			}
			checkCalls(t, w.k.calls, []string{
				`enter the namespace root below $T/rootfs`,
				`fchdir $T/rootfs`,
				`pivot_root . .`,
				`fchdir /`,
				`mount "" . "" MS_REC|MS_SLAVE ""`,
				`umount . MNT_DETACH`,
				`chdir /`,
				`mount tmpfs $T/rootfs/sys/firmware tmpfs MS_RDONLY ""`,
				`mount $T/rootfs/proc/sys $T/rootfs/proc/sys bind MS_BIND|MS_REC ""`,
				`mount "" $T/rootfs/proc/sys "" MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND ""`,
				`mount $T/rootfs/ro $T/rootfs/ro bind MS_BIND|MS_REC ""`,
				`mount "" $T/rootfs/ro "" MS_RDONLY|MS_REMOUNT|MS_BIND ""`,
				`mount "" $T/rootfs "" MS_RDONLY|MS_NODEV|MS_REMOUNT|MS_BIND ""`,
				`mount "" $T/rootfs "" MS_REC|MS_SHARED ""`,
			})
		})
	}
}

// Masked directories share one tmpfs: the first gets it, the others a bind
// mount of it.
func TestFinishMaskedDirectoriesShareOneTmpfs(t *testing.T) {
	for _, withProc := range []bool{true, false} {
		w := finishWorld(t, withProc)
		w.mkdir("rootfs/sys/devices/system/cpu/cpu0/thermal")
		w.mkdir("rootfs/sys/devices/system/cpu/cpu1/thermal")
		cfg := w.config()
		cfg.MaskPaths = []string{"/sys/firmware", "/missing", "/sys/devices/system/cpu/cpu0/thermal", "/sys/devices/system/cpu/cpu1/thermal"}
		if err := w.s.finish(cfg, false); err != nil {
			t.Fatal(err)
		}
		// From the first masking mount on: what finish does before it
		// (pivot_root and its chdirs) is tested elsewhere.
		first := slices.IndexFunc(w.k.calls, func(c string) bool { return strings.HasPrefix(c, "mount tmpfs $T/rootfs/sys/firmware ") })
		if first < 0 {
			t.Fatalf("no tmpfs mounted on /sys/firmware: %q", w.k.calls)
		}
		checkCalls(t, w.k.calls[first:], []string{
			`mount tmpfs $T/rootfs/sys/firmware tmpfs MS_RDONLY ""`,
			`mount $T/rootfs/sys/firmware $T/rootfs/sys/devices/system/cpu/cpu0/thermal bind MS_BIND ""`,
			`mount $T/rootfs/sys/firmware $T/rootfs/sys/devices/system/cpu/cpu1/thermal bind MS_BIND ""`,
		})
	}
}

func TestFinishMaskedFileNeedsTheNullDevice(t *testing.T) {
	w := finishWorld(t, true)
	w.file("rootfs/dev/null", "planted")
	cfg := w.config()
	cfg.MaskPaths = []string{"/proc/kcore"}
	err := w.s.finish(cfg, false)
	if err == nil || err.Error() != "masked path /proc/kcore: /dev/null in the container is a regular file, not the null device (char 1:3)" {
		t.Fatalf("got %v", err)
	}

	w = finishWorld(t, true)
	w.symlink("rootfs/dev/null", "/proc/kcore")
	err = w.s.finish(cfg, false)
	if err == nil || !strings.Contains(err.Error(), "not the null device") {
		t.Fatalf("symlinked /dev/null: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Skip("mknod of a null device needs root")
	}
	w = finishWorld(t, true)
	w.mkdir("rootfs/dev")
	if err := unix.Mknod(filepath.Join(w.rootfs, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	cfg.MaskPaths = []string{"/proc/kcore", "/sys/firmware"}
	if err := w.s.finish(cfg, false); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls[7:], []string{
		`mount $T/rootfs/dev/null $T/rootfs/proc/kcore bind MS_BIND ""`,
		`mount tmpfs $T/rootfs/sys/firmware tmpfs MS_RDONLY ""`,
	})
}

func TestFinishNoPivot(t *testing.T) {
	w := finishWorld(t, true)
	w.infos = []*mountinfo.Info{
		{Mountpoint: "/"},
		{Mountpoint: filepath.Dir(w.base)},
		{Mountpoint: "/proc"},
		{Mountpoint: "/sys"},
		{Mountpoint: "/sys/fs/cgroup"},
		{Mountpoint: "/dev"},
		{Mountpoint: "/dev/pts"},
		{Mountpoint: "/run/a b"},
		{Mountpoint: "/run/a b"},
		{Mountpoint: w.rootfs},
		{Mountpoint: w.rootfs},
		{Mountpoint: w.rootfs + "/proc"},
		{Mountpoint: w.base + "/other"},
	}
	w.k.fail["umount /sys "] = unix.EINVAL
	if err := w.s.finish(w.config(), true); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, w.k.calls, []string{
		`umount /dev MNT_DETACH`,
		`umount /proc MNT_DETACH`,
		`umount /run/a b MNT_DETACH`,
		`umount /run/a b MNT_DETACH`,
		`umount /sys MNT_DETACH`,
		`mount tmpfs /sys tmpfs MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC size=0`,
		`umount $T/other MNT_DETACH`,
		`chdir $T/rootfs`,
		`mount $T/rootfs / "" MS_MOVE ""`,
		`chroot .`,
		`chdir /`,
	})
}

func TestMountConsole(t *testing.T) {
	w := finishWorld(t, true)
	w.file("rootfs/dev/pts/0", "")
	err := w.s.mountConsole("/dev/pts/0")
	if err == nil || err.Error() != "console: /dev/pts/0 is a regular file, not a pty" {
		t.Fatalf("got %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("mknod of a pty node needs root")
	}
	for _, tc := range []struct {
		name    string
		prepare func(w *world)
		wantErr string
	}{
		{"missing console", func(*world) {}, ""},
		{"existing console", func(w *world) { w.file("rootfs/dev/console", "") }, ""},
		{"symlinked console", func(w *world) { w.symlink("rootfs/dev/console", "/etc/passwd") }, "console: /dev/console is a symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := finishWorld(t, true)
			w.mkdir("rootfs/dev/pts")
			if err := unix.Mknod(filepath.Join(w.rootfs, "dev/pts/0"), unix.S_IFCHR|0o620, int(unix.Mkdev(136, 0))); err != nil {
				t.Fatal(err)
			}
			tc.prepare(w)
			err := w.s.mountConsole("/dev/pts/0")
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkCalls(t, w.k.calls, []string{`mount $T/rootfs/dev/pts/0 $T/rootfs/dev/console bind MS_BIND ""`})
		})
	}
}

// An id-mapped mount is never bound from its source: without the tree the
// runtime built for it, Prepare fails naming the mount.
func TestPrepareIDMappedNeedsItsTree(t *testing.T) {
	w := newWorld(t)
	m := bind("/vol", "/data", 0)
	m.IDMapped = true
	err := w.s.prepare(w.config(m), Options{})
	want := "id-mapped mount mounts[0] on /data: the runtime passed no mount for it"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	for _, c := range w.k.calls {
		if strings.Contains(c, "/data") {
			t.Errorf("the destination was touched: %s", c)
		}
	}
}
