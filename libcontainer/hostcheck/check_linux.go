package hostcheck

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/lsm"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
	"github.com/ocirun/ocirun/libcontainer/unixsock"
	"github.com/ocirun/ocirun/libcontainer/userns"
)

// defaultNamespaces are the namespaces a container needs when no bundle
// says otherwise: those of "ocirun spec".
var defaultNamespaces = []configs.NamespaceType{
	configs.NEWNS, configs.NEWPID, configs.NEWNET, configs.NEWIPC, configs.NEWUTS, configs.NEWCGROUP,
}

// Run checks the host (and the bundle, if one is given) and returns the
// report. It fails only when it cannot check at all.
func Run(o Options) *Report {
	r := &Report{}
	var cfg *configs.Config
	bundle := ""
	if o.Bundle != "" {
		bundle, cfg = checkBundle(r, o)
	}
	needNS := func(t configs.NamespaceType) bool {
		if cfg != nil {
			ns, ok := cfg.Namespace(t)
			return ok && ns.Path == ""
		}
		return slices.Contains(defaultNamespaces, t)
	}

	checkHelpers(r)
	userns := checkNamespaces(r, needNS, o.Rootless)
	if userns != nil {
		defer userns.Close()
	}
	checkUserIDs(r)
	checkCgroups(r, o, cfg)
	checkSystemd(r, o.Systemd || (cfg != nil && cfg.Cgroups != nil && cfg.Cgroups.Systemd))
	checkFilesystems(r, o.Root, bundle, cfg, userns)
	checkConfinement(r, cfg)
	return r
}

// checkBundle translates the bundle's config as create would, collecting
// what specconv degrades, and applies the host refusals.
func checkBundle(r *Report, o Options) (string, *configs.Config) {
	const g = "bundle"
	var warnings []string
	abs, cfg, err := libcontainer.LoadBundle(o.Bundle, libcontainer.BundleOptions{
		Systemd: o.Systemd,
		Warn:    func(s string) { warnings = append(warnings, s) },
	})
	for _, w := range warnings {
		r.degraded(g, "config.json", w, "")
	}
	if err != nil {
		r.missing(g, "config.json", oneLine(err.Error()), "change the field named in config.json")
		return "", nil
	}
	refusals := libcontainer.HostRefusals(cfg)
	for _, err := range refusals {
		r.missing(g, "config.json", oneLine(err.Error()), "change the field named in config.json")
	}
	if len(warnings) == 0 && len(refusals) == 0 {
		r.ok(g, "config.json", "translates for this host without changes")
	}
	return abs, cfg
}

func checkHelpers(r *Report) {
	for _, name := range []string{initproto.InitBinary, initproto.ExecBinary} {
		path, err := libcontainer.CheckHelper(name)
		r.result("helpers", name, err, path+": present, executable, sealed (read-only detached mount)", Missing,
			"install "+name+" next to the ocirun binary (make install does)")
	}
}

// checkNamespaces creates each namespace type through stage 0, then joins
// it by path from another stage 0. It returns the probe holding a new user
// namespace (for the id-mapped mount check), or nil.
func checkNamespaces(r *Report, need func(configs.NamespaceType) bool, rootless bool) *libcontainer.NamespaceProbe {
	const g = "namespaces"
	var userns *libcontainer.NamespaceProbe
	for _, t := range libcontainer.NamespaceTypes {
		bad := Degraded
		if need(t) {
			bad = Missing
		}
		flag := libcontainer.NamespaceCloneFlag(t)
		if rootless && t != configs.NEWUSER {
			// Without root every other namespace is created inside a
			// new user namespace, as a rootless container's are. The
			// probe itself (not dumpable, started outside that
			// namespace) cannot be joined by path without root, while
			// a container's process can: the join is not tried.
			p, err := libcontainer.ProbeNamespaces(flag|unix.CLONE_NEWUSER, nil)
			if err != nil {
				r.add(g, string(t), bad, "create with a user namespace: "+oneLine(err.Error()), nsFix(t))
				continue
			}
			p.Close()
			r.ok(g, string(t), "created inside a new user namespace (rootless; joining by path not tried)")
			continue
		}
		p, err := libcontainer.ProbeNamespaces(flag, nil)
		if err != nil {
			r.add(g, string(t), bad, "create: "+oneLine(err.Error()), nsFix(t))
			continue
		}
		if rootless {
			userns = p
			r.ok(g, string(t), "created (rootless; joining by path not tried)")
			continue
		}
		path := "/proc/" + strconv.Itoa(p.Pid) + "/ns/" + libcontainer.NamespaceFile(t)
		j, err := libcontainer.ProbeNamespaces(0, []initproto.JoinNamespace{{Flag: flag, Path: path}})
		if err != nil {
			r.add(g, string(t), bad, "created, but join by path failed: "+oneLine(err.Error()), nsFix(t))
		} else {
			j.Close()
			r.ok(g, string(t), "created and joined by path")
		}
		if t == configs.NEWUSER {
			userns = p
		} else {
			p.Close()
		}
	}
	return userns
}

func nsFix(t configs.NamespaceType) string {
	switch t {
	case configs.NEWUSER:
		return "enable user namespaces (sysctl user.max_user_namespaces > 0; kernel.unprivileged_userns_clone=1 where it exists)"
	case configs.NEWTIME:
		return "time namespaces need Linux 5.6 or later (CONFIG_TIME_NS)"
	case configs.NEWCGROUP:
		return "cgroup namespaces need Linux 4.6 or later (CONFIG_CGROUPS)"
	}
	return "the kernel lacks this namespace type or a limit forbids it (user.max_*_namespaces, CONFIG_*_NS)"
}

// checkUserIDs looks for the subordinate id ranges and helpers that a
// user namespace with more than one id needs when the runtime is not root.
func checkUserIDs(r *Report) {
	const g = "user ids"
	name := userns.CallerName()
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		n, err := userns.SubIDCount(f, name, os.Geteuid())
		switch {
		case err != nil:
			r.degraded(g, f, oneLine(err.Error()), "add a range for "+name+": usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "+name)
		case n == 0:
			r.degraded(g, f, "no range for "+name+" (needed only without root, for more than one id)", "add a range for "+name+": usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "+name)
		default:
			r.ok(g, f, fmt.Sprintf("%d ids for %s", n, name))
		}
	}
	for _, b := range []string{"newuidmap", "newgidmap"} {
		p, err := exec.LookPath(b)
		if err != nil {
			r.degraded(g, b, "not found in PATH (needed only without root)", "install it (Debian: apt-get install uidmap)")
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err == nil && st.Mode&unix.S_ISUID == 0 && !hasFileCaps(p) {
			r.degraded(g, b, p+" is neither setuid nor has file capabilities", "reinstall it (Debian: apt-get install --reinstall uidmap)")
			continue
		}
		r.ok(g, b, p)
	}
}

func hasFileCaps(p string) bool {
	sz, err := unix.Getxattr(p, "security.capability", nil)
	return err == nil && sz > 0
}

func modeName(m cgroups.Mode) string {
	switch m {
	case cgroups.Legacy:
		return "v1 (one hierarchy per controller)"
	case cgroups.Hybrid:
		return "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
	}
	return "v2 (unified)"
}

// checkCgroups creates a cgroup where a container's would go, sets the
// bundle's limits on it, and removes it.
func checkCgroups(r *Report, o Options, cfg *configs.Config) {
	const g = "cgroups"
	mode := cgroups.DetectMode()
	if mode == cgroups.Unavailable {
		r.missing(g, "layout", "no cgroup filesystem at /sys/fs/cgroup", "mount cgroup2 on /sys/fs/cgroup")
		return
	}
	r.ok(g, "layout", modeName(mode))
	cg := &configs.Cgroup{}
	name := "ocirun-check-" + strconv.Itoa(os.Getpid())
	cg.Path = name
	if cfg != nil && cfg.Cgroups != nil {
		c := *cfg.Cgroups
		cg = &c
		if cg.Systemd {
			cg.Path = "ocirun-check.slice:ocirun:" + name
		} else if cg.Path != "" {
			cg.Path = filepath.Join(filepath.Dir(cg.Path), name)
		} else {
			cg.Path = name
		}
	} else if o.Systemd {
		cg.Systemd = true
		cg.Path = "system.slice:ocirun:" + name
	}
	m, err := cgroups.New(cg, name)
	if err == nil {
		err = m.Apply(0)
		if err == nil && cg.Resources != nil {
			if serr := m.Set(cg.Resources); serr != nil {
				err = fmt.Errorf("set linux.resources: %w", serr)
			}
		}
		if derr := m.Destroy(); err == nil && derr != nil {
			err = fmt.Errorf("remove it again: %w", derr)
		}
	}
	if err != nil {
		fix := "let the runtime write the cgroup it runs in: delegate it (systemd Delegate=yes) or mount the hierarchy read-write"
		if cg.Systemd {
			fix = "the systemd cgroup driver needs systemd as PID 1, answering on its bus (next item)"
		}
		if o.Rootless && !cg.Systemd && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS)) {
			r.degraded(g, "create", "rootless: containers run without a cgroup, and configs with limits are refused: "+oneLine(err.Error()), fix)
			return
		}
		r.missing(g, "create", oneLine(err.Error()), fix)
		return
	}
	st := m.State()
	var ctrls []string
	for c := range st.Paths {
		if c == "" {
			c = "cgroup2"
		}
		ctrls = append(ctrls, c)
	}
	slices.Sort(ctrls)
	detail := "created and removed a cgroup where containers go; hierarchies: " + strings.Join(ctrls, " ")
	if cg.Resources != nil {
		detail += "; the bundle's limits applied"
	}
	if mode == cgroups.Unified {
		if b, err := os.ReadFile(filepath.Join(st.Paths[""], "..", "cgroup.subtree_control")); err == nil {
			detail += "; controllers: " + strings.TrimSpace(string(b))
		}
	}
	r.ok(g, "create", detail)
}

// checkSystemd connects to systemd's private bus socket and starts the
// D-Bus handshake: systemd answers "OK <guid>" to EXTERNAL authentication
// as the caller's uid.
func checkSystemd(r *Report, needed bool) {
	const g, sock = "cgroups", "/run/systemd/private"
	bad := Degraded
	if needed {
		bad = Missing
	}
	fix := "run systemd as PID 1, or use the cgroupfs driver"
	conn, err := unixsock.Dial(sock)
	if err != nil {
		r.add(g, "systemd bus", bad, fmt.Sprintf("%s: %v (the systemd cgroup driver needs it)", sock, oneLine(err.Error())), fix)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	uid := fmt.Sprintf("%x", strconv.Itoa(os.Geteuid()))
	if _, err = conn.Write([]byte("\x00AUTH EXTERNAL " + uid + "\r\n")); err == nil {
		var line string
		line, err = bufio.NewReader(conn).ReadString('\n')
		if err == nil && !strings.HasPrefix(line, "OK ") {
			err = fmt.Errorf("answered %q", strings.TrimSpace(line))
		}
	}
	if err != nil {
		r.add(g, "systemd bus", bad, fmt.Sprintf("%s: %v", sock, oneLine(err.Error())), fix)
		return
	}
	conn.Write([]byte("CANCEL\r\n"))
	r.ok(g, "systemd bus", sock+": systemd answers")
}

// checkFilesystems checks the state root, pivot_root into it and into the
// bundle's rootfs, tmpfs and overlay, and id-mapped mounts on each
// filesystem the containers use.
func checkFilesystems(r *Report, root, bundle string, cfg *configs.Config, userns *libcontainer.NamespaceProbe) {
	const g = "filesystems"
	existing := checkStateRoot(r, root)
	pivotDirs := []string{}
	if existing != "" {
		pivotDirs = append(pivotDirs, existing)
	}
	if cfg != nil {
		pivotDirs = append(pivotDirs, cfg.Rootfs)
	}
	for _, d := range pivotDirs {
		res, err := runProbe(probeRequest{Pivot: d})
		if err == nil {
			err = res.get("pivot_root")
		}
		bad := Degraded
		if cfg != nil && d == cfg.Rootfs {
			bad = Missing
		}
		r.result(g, "pivot_root "+d, err, "works", bad,
			"put the rootfs on a filesystem below a mount point, or create the container without pivot_root (weaker isolation)")
	}
	res, err := runProbe(probeRequest{Mounts: true})
	for _, name := range []string{"tmpfs", "overlay"} {
		e := err
		if e == nil {
			e = res.get(name)
		}
		bad := Missing
		if name == "overlay" {
			bad = Degraded // engines use it for images; the runtime does not
		}
		r.result(g, name, e, "mounted in a private mount namespace", bad, "load the "+name+" filesystem (modprobe "+name+")")
	}
	// id-mapped mounts, once per filesystem.
	paths := []string{}
	if existing != "" {
		paths = append(paths, existing)
	}
	if cfg != nil {
		paths = append(paths, cfg.Rootfs)
		for _, m := range cfg.Mounts {
			if m.IsBind() {
				paths = append(paths, m.Source)
			}
		}
	}
	seen := map[uint64]bool{}
	for _, p := range paths {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil || seen[st.Dev] {
			continue
		}
		seen[st.Dev] = true
		var sfs unix.Statfs_t
		unix.Statfs(p, &sfs)
		name := fmt.Sprintf("id-mapped mount %s (%s)", p, fsName(sfs.Type))
		if userns == nil {
			r.degraded(g, name, "not tried: no user namespace", "")
			continue
		}
		err := tryIDMap(p, userns.Pid)
		r.result(g, name, err, "works", Degraded, "this filesystem cannot be id-mapped on this kernel: chown the files instead, or move them to one that can (ext4, xfs, btrfs, tmpfs)")
	}
}

// checkStateRoot tests that the state root (or, if it does not exist yet,
// the directory it would be created in) takes files, and returns that
// existing directory.
func checkStateRoot(r *Report, root string) string {
	const g = "filesystems"
	dir := root
	for {
		if _, err := os.Stat(dir); err == nil || dir == "/" {
			break
		}
		dir = filepath.Dir(dir)
	}
	fix := "use a state root on a writable filesystem"
	f, err := os.CreateTemp(dir, ".ocirun-check-")
	if err != nil {
		r.missing(g, "state root "+root, "cannot create files in "+dir+": "+oneLine(err.Error()), fix)
		return dir
	}
	f.Close()
	os.Remove(f.Name())
	var sfs unix.Statfs_t
	detail := "writable"
	if dir != root {
		detail = "does not exist yet; " + dir + " is writable"
	}
	if unix.Statfs(dir, &sfs) == nil {
		detail += " (" + fsName(sfs.Type) + ")"
		if sfs.Flags&unix.ST_NOEXEC != 0 {
			detail += ", noexec (the runtime executes nothing from it)"
		}
	}
	r.ok(g, "state root "+root, detail)
	return dir
}

// tryIDMap makes a detached copy of the mount at p and id-maps it with the
// user namespace of pid; closing the copy undoes it.
func tryIDMap(p string, pid int) error {
	nsfd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(nsfd)
	fd, err := unix.OpenTree(unix.AT_FDCWD, p, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(fd)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(nsfd)}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return fmt.Errorf("mount_setattr(MOUNT_ATTR_IDMAP): %w", err)
	}
	return nil
}

// fsName names the filesystem types containers are usually kept on. A
// switch, not a map: a map would be built when any ocirun command starts.
func fsName(t int64) string {
	switch t {
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.RAMFS_MAGIC:
		return "ramfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlay"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.SQUASHFS_MAGIC:
		return "squashfs"
	case unix.V9FS_MAGIC:
		return "9p"
	case unix.F2FS_SUPER_MAGIC:
		return "f2fs"
	case unix.EXFAT_SUPER_MAGIC:
		return "exfat"
	case unix.MSDOS_SUPER_MAGIC:
		return "vfat"
	}
	return fmt.Sprintf("fs type %#x", t)
}

// checkConfinement tries no_new_privs and seccomp in a child and reads
// what the LSMs and Landlock offer.
func checkConfinement(r *Report, cfg *configs.Config) {
	const g = "security"
	res, err := runProbe(probeRequest{Confine: true})
	var proc *configs.Process
	if cfg != nil {
		proc = cfg.Process
	}
	wantSeccomp := cfg == nil || cfg.Seccomp != nil
	wantNotify := cfg != nil && seccomp.UsesNotify(cfg.Seccomp)
	for _, c := range []struct {
		name, ok string
		need     bool
		fix      string
	}{
		{"no_new_privs", "set and read back in a child", true, "Linux 3.5 or later is needed"},
		{"seccomp", "a filter loads in a child", wantSeccomp, "enable CONFIG_SECCOMP_FILTER in the kernel"},
		{"seccomp notify", "a listener fd is returned in a child", wantNotify, "seccomp notify needs Linux 5.0 or later"},
	} {
		e := err
		if e == nil {
			e = res.get(c.name)
		}
		bad := Degraded
		if c.need {
			bad = Missing
		}
		r.result(g, c.name, e, c.ok, bad, c.fix)
	}
	if abi, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */); e != 0 {
		r.degraded(g, "landlock", fmt.Sprintf("unavailable: %v", e), "boot with lsm=...,landlock (CONFIG_SECURITY_LANDLOCK)")
	} else {
		r.ok(g, "landlock", fmt.Sprintf("ABI version %d", abi))
	}
	for _, l := range []struct {
		name    string
		enabled bool
		asked   bool
	}{
		{"apparmor", lsm.AppArmorEnabled(), proc != nil && proc.ApparmorProfile != ""},
		{"selinux", lsm.SELinuxEnabled(), proc != nil && proc.SelinuxLabel != "" || cfg != nil && cfg.MountLabel != ""},
	} {
		switch {
		case l.enabled:
			r.ok(g, l.name, "enabled")
		case l.asked:
			r.missing(g, l.name, "not enabled, and the bundle asks for a label", "remove the label from config.json, or boot with the LSM enabled")
		default:
			r.degraded(g, l.name, "not enabled: configs that ask for its labels are refused", "")
		}
	}
}
