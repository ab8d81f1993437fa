package rootfs

// These tests build real trees and therefore need root. Each scenario runs
// in a child process (this test binary re-executed, see TestMain) in a new
// mount namespace, so its mounts vanish with it; the parent then checks
// that the host's mount table and the canary directory are untouched.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

const (
	childEnv = "OCIRUN_ROOTFS_TEST_CHILD"
	dirEnv   = "OCIRUN_ROOTFS_TEST_DIR"
)

func TestMain(m *testing.M) {
	if sc := os.Getenv(childEnv); sc != "" {
		os.Exit(runChild(sc, os.Getenv(dirEnv)))
	}
	os.Exit(m.Run())
}

// report is what a child scenario saw, one answer per key.
type report map[string]string

var childScenarios = map[string]func(dir string, r report) error{
	"pivot":        func(dir string, r report) error { return buildAndProbe(dir, r, false) },
	"nopivot":      func(dir string, r report) error { return buildAndProbe(dir, r, true) },
	"hostile-proc": hostileProc,
	"shared":       sharedRoot,
	"userns-outer": usernsOuter,
	"userns-inner": usernsInner,
}

func runChild(sc, dir string) int {
	r := report{}
	f, ok := childScenarios[sc]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", sc)
		return 2
	}
	if err := f(dir, r); err != nil {
		r["error"] = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// spawn runs scenario sc in a child of this binary and returns its report.
func spawn(sc, dir string, attr *syscall.SysProcAttr) (report, error) {
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(os.Environ(), childEnv+"="+sc, dirEnv+"="+dir)
	cmd.SysProcAttr = attr
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w: %s", sc, err, stderr.String())
	}
	r := report{}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("scenario %s: bad report %q: %w (stderr %s)", sc, out, err, stderr.String())
	}
	return r, nil
}

// rootWorld is a temporary directory on the host that is removed only when
// nothing is mounted below it.
func rootWorld(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir, err := os.MkdirTemp("", "ocirun-rootfs-test-")
	if err != nil {
		t.Fatal(err)
	}
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mps := hostMountsUnder(t, dir); len(mps) > 0 {
			t.Errorf("left mounted on the host: %q; not removing %s", mps, dir)
			return
		}
		for _, c := range []string{"canary", "canary2"} {
			if ents, err := os.ReadDir(filepath.Join(dir, c)); err == nil && len(ents) > 0 {
				t.Errorf("the host canary %s/%s holds %d entries", dir, c, len(ents))
			}
		}
		// Directories made read-only by the scenarios would stop RemoveAll.
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	})
	return dir
}

func hostMountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	infos, err := readMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mi := range infos {
		if within(mi.Mountpoint, dir) {
			out = append(out, mi.Mountpoint)
		}
	}
	return out
}

func mustDo(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// populate makes the rootfs and the host files the scenarios use.
func populate(t *testing.T, dir string) {
	t.Helper()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"canary", "canary2", "src", "rootfs/proc", "rootfs/sys", "rootfs/dev", "rootfs/etc",
		"rootfs/rwdir", "rootfs/masked-dir", "rootfs/data/sub", "locked"} {
		mustDo(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	mustDo(t,
		os.WriteFile(filepath.Join(dir, "src/marker"), []byte("marker"), 0o644),
		os.WriteFile(filepath.Join(dir, "hostname"), []byte("ctr"), 0o644),
		os.WriteFile(filepath.Join(rootfs, "rofile"), nil, 0o644),
		os.WriteFile(filepath.Join(rootfs, "masked-dir/secret"), []byte("secret"), 0o644),
		os.WriteFile(filepath.Join(rootfs, "data/keep.txt"), []byte("hello"), 0o640),
		os.Chown(filepath.Join(rootfs, "data/keep.txt"), 1000, 1001),
		os.WriteFile(filepath.Join(rootfs, "data/sub/deep.txt"), []byte("deep"), 0o644),
		os.Symlink("keep.txt", filepath.Join(rootfs, "data/link")),
		// A hostile image: mount destinations through symlinks that name
		// the host's canary directory.
		os.Symlink(filepath.Join(dir, "canary"), filepath.Join(rootfs, "evil")),
		os.Symlink(strings.Repeat("../", 30)+strings.TrimPrefix(filepath.Join(dir, "canary2"), "/"), filepath.Join(rootfs, "evil2")),
	)
}

func baseConfig(dir string) *configs.Config {
	const nse = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	return &configs.Config{
		Rootfs: filepath.Join(dir, "rootfs"),
		Mounts: []*configs.Mount{
			{Source: "proc", Destination: "/proc", Device: "proc", Flags: nse},
			{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID, Data: "mode=755,size=1m"},
			{Source: "devpts", Destination: "/dev/pts", Device: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620"},
			{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: nse | unix.MS_RDONLY},
			{Source: "cgroup", Destination: "/sys/fs/cgroup", Device: "cgroup", Flags: nse},
			{Source: "tmpfs", Destination: "/data", Device: "tmpfs", Flags: nse, TmpcopyUp: true},
			{Source: filepath.Join(dir, "src"), Destination: "/evil", Device: "bind", Flags: unix.MS_BIND | unix.MS_RDONLY},
			{Source: filepath.Join(dir, "src"), Destination: "/evil2/sub", Device: "bind", Flags: unix.MS_BIND | unix.MS_REC},
			{Source: filepath.Join(dir, "hostname"), Destination: "/etc/hostname", Device: "bind", Flags: unix.MS_BIND | unix.MS_RDONLY},
		},
		Devices: []*configs.Device{
			{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
			{Path: "/dev/zero", Type: 'c', Major: 1, Minor: 5, FileMode: 0o666},
			{Path: "/dev/fifo", Type: 'p', FileMode: 0o600},
		},
		// The runtime-spec's defaults, plus files and directories of our own.
		MaskPaths: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
			"/sys/devices/virtual/powercap", "/proc/version", "/masked-dir", "/nonexistent"},
		ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			"/rwdir", "/rofile", "/missing"},
		Readonly: true,
	}
}

// hostCgroups returns the host's cgroup hierarchies (outside dir).
func hostCgroups(dir string) ([]*mountinfo.Info, error) {
	infos, err := readMountinfo()
	if err != nil {
		return nil, err
	}
	var out []*mountinfo.Info
	for _, mi := range infos {
		if (mi.FSType == "cgroup" || mi.FSType == "cgroup2") && !within(mi.Mountpoint, dir) {
			out = append(out, mi)
		}
	}
	return out, nil
}

// cgroupOpts is a cgroup namespace for pivot, and for nopivot the first host
// hierarchy's root as the container's own cgroup directory.
func cgroupOpts(dir string, noPivot bool) (Options, error) {
	if !noPivot {
		return Options{HasCgroupNS: true}, nil
	}
	hs, err := hostCgroups(dir)
	if err != nil || len(hs) == 0 {
		return Options{}, fmt.Errorf("no host cgroups: %v", err)
	}
	for _, h := range hs {
		if h.FSType == "cgroup" {
			return Options{CgroupPaths: map[string]string{cgroupControllers(h.VFSOptions)[0]: h.Mountpoint}}, nil
		}
	}
	return Options{CgroupPaths: map[string]string{"": hs[0].Mountpoint}}, nil
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func readText(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func listing(p string) string {
	ents, err := os.ReadDir(p)
	if err != nil {
		return "error: " + err.Error()
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func createErr(p string) string {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		f.Close()
	}
	return errText(err)
}

func devOf(p string) string {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%s %d:%d", fileType(st.Mode), unix.Major(st.Rdev), unix.Minor(st.Rdev))
}

func buildAndProbe(dir string, r report, noPivot bool) error {
	cfg := baseConfig(dir)
	// With a read-only root everything is read-only: one scenario keeps the
	// root writable so that the read-only paths are seen on their own.
	cfg.Readonly = !noPivot
	opts, err := cgroupOpts(dir, noPivot)
	if err != nil {
		return err
	}
	if err := Prepare(cfg, opts); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	r["canary_after_prepare"] = listing(filepath.Join(dir, "canary")) + listing(filepath.Join(dir, "canary2"))
	if err := Finish(cfg, noPivot); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	cwd, err := os.Getwd()
	r["cwd"] = cwd + " " + errText(err)
	r["proc_version"] = readText("/proc/version")
	// Kernels without CONFIG_PROC_KCORE have no /proc/kcore; where it
	// exists, the mask makes it read as empty.
	if err := unix.Access("/proc/kcore", unix.F_OK); errors.Is(err, unix.ENOENT) {
		r["proc_kcore"] = ""
	} else {
		r["proc_kcore"] = readText("/proc/kcore")
	}
	r["sys_firmware"] = listing("/sys/firmware")
	r["sys_firmware_write"] = createErr("/sys/firmware/x")
	r["masked_dir"] = listing("/masked-dir")
	_, err = os.OpenFile("/proc/sys/kernel/hostname", os.O_WRONLY, 0)
	r["proc_sys_write"] = errText(err)
	r["rwdir_write"] = createErr("/rwdir/x")
	r["rofile_write"] = errText(os.WriteFile("/rofile", nil, 0))
	r["proc_keys"] = readText("/proc/keys")
	r["root_write"] = createErr("/newfile")
	var st unix.Stat_t
	if err := unix.Stat("/data/keep.txt", &st); err == nil {
		r["data_keep"] = fmt.Sprintf("%s %o %d:%d", readText("/data/keep.txt"), st.Mode&0o7777, st.Uid, st.Gid)
	} else {
		r["data_keep"] = errText(err)
	}
	link, err := os.Readlink("/data/link")
	r["data_link"] = link + " " + errText(err)
	r["data_deep"] = readText("/data/sub/deep.txt")
	r["data_write"] = createErr("/data/new")
	r["dev_null"] = devOf("/dev/null")
	r["dev_zero"] = devOf("/dev/zero")
	r["dev_fifo"] = devOf("/dev/fifo")
	r["dev_null_write"] = errText(os.WriteFile("/dev/null", []byte("x"), 0))
	for _, l := range []string{"fd", "stdin", "ptmx"} {
		target, err := os.Readlink("/dev/" + l)
		r["dev_"+l] = target + " " + errText(err)
	}
	r["evil_marker"] = readText(filepath.Join(dir, "canary/marker"))
	r["evil_write"] = createErr(filepath.Join(dir, "canary/new"))
	r["evil2_marker"] = readText(filepath.Join(dir, "canary2/sub/marker"))
	r["hostname"] = readText("/etc/hostname")
	r["hostname_write"] = errText(os.WriteFile("/etc/hostname", []byte("x"), 0))
	r["cgroup"] = listing("/sys/fs/cgroup")
	r["cgroup_write"] = createErr("/sys/fs/cgroup/x")
	r["console"] = errText(probeConsole())
	return nil
}

// probeConsole opens a pty of the container's devpts, binds its slave on
// /dev/console and checks that the console is that slave.
func probeConsole() error {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("ptsname: %w", err)
	}
	slave := fmt.Sprintf("/dev/pts/%d", n)
	if err := MountConsole(slave); err != nil {
		return err
	}
	if a, b := devOf(slave), devOf("/dev/console"); a != b {
		return fmt.Errorf("/dev/console is %s, the slave %s", b, a)
	}
	return nil
}

func hostileProc(dir string, r report) error {
	cfg := baseConfig(dir)
	cfg.Mounts = cfg.Mounts[:1]
	err := Prepare(cfg, Options{})
	r["canary_after_prepare"] = listing(filepath.Join(dir, "canary"))
	return err
}

// sharedRoot asks for a shared root propagation with the rootfs on a mount
// of its own (pivot_root refuses shared parents).
func sharedRoot(dir string, r report) error {
	mnt := filepath.Join(dir, "mnt")
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		return err
	}
	rootfs := filepath.Join(mnt, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "proc"), 0o755); err != nil {
		return err
	}
	cfg := &configs.Config{
		Rootfs:          rootfs,
		RootPropagation: unix.MS_SHARED | unix.MS_REC,
		Mounts:          []*configs.Mount{{Source: "proc", Destination: "/proc", Device: "proc"}},
	}
	if err := Prepare(cfg, Options{}); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if err := Finish(cfg, false); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	infos, err := readMountinfo()
	if err != nil {
		return err
	}
	for _, mi := range infos {
		if mi.Mountpoint == "/" {
			r["root_shared"] = fmt.Sprint(shared(mi))
		}
	}
	return nil
}

func usernsOuter(dir string, r report) error {
	// A mount with nosuid/nodev/noexec made here is locked in the inner
	// user namespace: a remount that drops those flags fails there.
	if err := unix.Mount("tmpfs", filepath.Join(dir, "locked"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=1m"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "locked/file"), []byte("locked"), 0o644); err != nil {
		return err
	}
	inner, err := spawn("userns-inner", dir, &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}},
	})
	if err != nil {
		return err
	}
	for k, v := range inner {
		r[k] = v
	}
	return nil
}

func usernsInner(dir string, r report) error {
	cfg := &configs.Config{
		Rootfs: filepath.Join(dir, "rootfs"),
		Mounts: []*configs.Mount{
			{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID, Data: "mode=755,size=1m"},
			{Source: filepath.Join(dir, "locked"), Destination: "/locked", Device: "bind", Flags: unix.MS_BIND | unix.MS_RDONLY},
		},
		Devices:   []*configs.Device{{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666}},
		MaskPaths: []string{"/masked-dir"},
		Readonly:  true,
	}
	if err := Prepare(cfg, Options{InUserNS: true}); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	raw := unix.Mount("", filepath.Join(dir, "rootfs/locked"), "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
	r["raw_remount"] = errText(raw)
	if err := Finish(cfg, false); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs("/locked", &sfs); err != nil {
		return err
	}
	r["locked_flags"] = flagNames(uint64(sfs.Flags) & lockableFlags)
	r["locked_file"] = readText("/locked/file")
	r["dev_null"] = devOf("/dev/null")
	r["masked_dir"] = listing("/masked-dir")
	r["root_write"] = createErr("/newfile")
	return nil
}

func checkReport(t *testing.T, r report, want map[string]string) {
	t.Helper()
	if b, err := json.MarshalIndent(r, "", " "); err == nil {
		t.Logf("report: %s", b)
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, ok := r[k]
		w := want[k]
		switch {
		case !ok:
			t.Errorf("%s: missing from the report", k)
		case strings.HasPrefix(w, "~"):
			if !strings.Contains(got, w[1:]) {
				t.Errorf("%s = %q, want it to contain %q", k, got, w[1:])
			}
		case got != w:
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

const erofs = "~read-only file system"

func TestRootBuildPivotAndNoPivot(t *testing.T) {
	for _, noPivot := range []bool{false, true} {
		name := "pivot"
		if noPivot {
			name = "nopivot"
		}
		t.Run(name, func(t *testing.T) {
			dir := rootWorld(t)
			populate(t, dir)
			r, err := spawn(name, dir, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS})
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := r["error"]; ok {
				t.Fatalf("child: %s", e)
			}
			checkReport(t, r, map[string]string{
				"canary_after_prepare": "",
				"cwd":                  "/ ok",
				"proc_version":         "",
				"proc_kcore":           "",
				"sys_firmware":         "",
				"sys_firmware_write":   erofs,
				"masked_dir":           "",
				"proc_sys_write":       erofs,
				"rwdir_write":          erofs,
				"rofile_write":         erofs,
				"proc_keys":            "",
				"data_keep":            "hello 640 1000:1001",
				"data_link":            "keep.txt ok",
				"data_deep":            "deep",
				"data_write":           "ok",
				"dev_null":             "character device 1:3",
				"dev_zero":             "character device 1:5",
				"dev_fifo":             "fifo 0:0",
				"dev_null_write":       "ok",
				"dev_fd":               "/proc/self/fd ok",
				"dev_stdin":            "/proc/self/fd/0 ok",
				"dev_ptmx":             "pts/ptmx ok",
				"evil_marker":          "marker",
				"evil_write":           erofs,
				"evil2_marker":         "marker",
				"hostname":             "ctr",
				"hostname_write":       erofs,
				"cgroup_write":         erofs,
				"console":              "ok",
			})
			rootWrite := erofs // cfg.Readonly
			if noPivot {
				rootWrite = "ok"
			}
			checkReport(t, r, map[string]string{"root_write": rootWrite})
			hs, err := hostCgroups(dir)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := cgroupOpts(dir, noPivot)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				name := filepath.Base(h.Mountpoint)
				if noPivot && cgroupPathFor(h, opts.CgroupPaths) == "" {
					continue
				}
				if h.FSType == "cgroup2" && h.Mountpoint == "/sys/fs/cgroup" {
					name = "cgroup.procs"
				}
				if !strings.Contains(","+r["cgroup"]+",", ","+name+",") {
					t.Errorf("/sys/fs/cgroup in the container has %q, want %s in it", r["cgroup"], name)
				}
			}
		})
	}
}

func TestRootHostileProcDestination(t *testing.T) {
	dir := rootWorld(t)
	populate(t, dir)
	mustDo(t, os.Remove(filepath.Join(dir, "rootfs/proc")),
		os.Symlink(filepath.Join(dir, "canary"), filepath.Join(dir, "rootfs/proc")))
	r, err := spawn("hostile-proc", dir, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, map[string]string{
		"error":                `~mount "proc" on /proc: destination /proc is reached through a symlink`,
		"canary_after_prepare": "",
	})
}

func TestRootSharedPropagation(t *testing.T) {
	dir := rootWorld(t)
	mustDo(t, os.Mkdir(filepath.Join(dir, "mnt"), 0o755))
	r, err := spawn("shared", dir, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r, map[string]string{"root_shared": "true"})
	if _, ok := r["error"]; ok {
		t.Errorf("child: %s", r["error"])
	}
}

func TestRootUserNamespace(t *testing.T) {
	dir := rootWorld(t)
	populate(t, dir)
	r, err := spawn("userns-outer", dir, &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS})
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
			t.Skipf("no user namespaces here: %v", err)
		}
		t.Fatal(err)
	}
	if e, ok := r["error"]; ok {
		t.Fatalf("child: %s", e)
	}
	checkReport(t, r, map[string]string{
		// Proof that the flags are locked, so the next line means something.
		"raw_remount":  "~operation not permitted",
		"locked_flags": "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC",
		"locked_file":  "locked",
		"dev_null":     "character device 1:3",
		"masked_dir":   "",
		"root_write":   erofs,
	})
}
