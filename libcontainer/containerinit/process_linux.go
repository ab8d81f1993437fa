package containerinit

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// prepareExec enters the process's working directory and finds its
// executable, so that create fails (as runc's does) when it is missing.
func prepareExec(proc *configs.Process) (string, error) {
	if len(proc.Args) == 0 {
		return "", errors.New("process.args must not be empty")
	}
	cwd := proc.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := unix.Chdir(cwd); err != nil {
		return "", fmt.Errorf("chdir to process.cwd %q: %w", cwd, err)
	}
	// A cwd like /proc/self/fd/N reaches whatever fd N is: one still open
	// on a host directory would put the process outside its root
	// (CVE-2024-21626). The kernel reports such a cwd as unreachable. This
	// is checked here, before any seccomp filter may forbid getcwd; the
	// later chdir as the process's user goes to the same place.
	if _, err := unix.Getwd(); err != nil {
		return "", fmt.Errorf("process.cwd %q is not inside the container's root: %w", cwd, err)
	}
	path, havePath := envValue(proc.Env, "PATH")
	return lookPath(proc.Args[0], path, havePath)
}

func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// lookPath resolves name like execvp does, in the container's filesystem
// and with the process's PATH; the error texts are the ones engines map to
// exit code 127.
func lookPath(name string, path string, havePath bool) (string, error) {
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return name, nil
	}
	if !havePath {
		path = defaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("is a directory")
	}
	if st.Mode()&0o111 == 0 {
		return os.ErrPermission
	}
	return nil
}

// applyProcess applies the process settings in the order the kernel
// forces: raised limits and fds while still privileged, then the bounding
// set, then the uid switch (keeping capabilities across it), then the
// process's capability sets. What must come last is left to finishExec (or
// the start waiter): the final rlimits, and seccomp when no_new_privs lets
// it wait; that filter is returned. Without no_new_privs the filter is
// loaded here, while CAP_SYS_ADMIN is still there; its notify fd, if any,
// goes to the runtime over conn.
func applyProcess(conn *initproto.Conn, ic *initproto.InitConfig, cfg *configs.Config, proc *configs.Process, filter *seccomp.Filter) (*seccomp.Filter, error) {
	if err := raiseRlimits(proc.Rlimits); err != nil {
		return nil, err
	}
	if ic.Mode == initproto.ModeInit && !ic.NoNewKeyring {
		// A fresh session keyring, so the container cannot reach the
		// keys of whoever started the runtime.
		if _, err := unix.KeyctlJoinSessionKeyring("_ses." + ic.ContainerID); err != nil && !errors.Is(err, unix.ENOSYS) {
			return nil, fmt.Errorf("join a new session keyring: %w", err)
		}
	}
	if err := applyScheduling(proc); err != nil {
		return nil, err
	}
	if cfg.Personality != nil {
		if _, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, uintptr(cfg.Personality.Domain), 0, 0); errno != 0 {
			return nil, fmt.Errorf("set linux.personality %#x: %w", cfg.Personality.Domain, errno)
		}
	}
	if err := applyLSM(proc); err != nil {
		return nil, err
	}
	if err := closeExtraFds(3 + ic.PreserveFds); err != nil {
		return nil, err
	}
	umask := uint32(0o022)
	if proc.User.Umask != nil {
		umask = *proc.User.Umask
	}
	unix.Umask(int(umask))

	caps := proc.Capabilities
	if caps != nil {
		if err := capabilities.DropBounding(caps.Bounding); err != nil {
			return nil, err
		}
	}
	if proc.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if filter != nil && !proc.NoNewPrivileges {
		// Without no_new_privs loading a filter needs CAP_SYS_ADMIN,
		// which the uid switch below may take away.
		if err := loadSeccompFilter(conn, filter); err != nil {
			return nil, err
		}
	}
	if err := switchUser(proc.User, caps != nil); err != nil {
		return nil, err
	}
	if caps != nil {
		if err := capabilities.Set(caps); err != nil {
			return nil, err
		}
		if err := capabilities.SetAmbient(caps.Ambient); err != nil {
			return nil, err
		}
	}
	cwd := proc.Cwd
	if cwd == "" {
		cwd = "/"
	}
	// Again as the process's user: its permissions decide, as in runc.
	if err := unix.Chdir(cwd); err != nil {
		return nil, fmt.Errorf("chdir to process.cwd %q as uid %d: %w", cwd, proc.User.UID, err)
	}
	if proc.NoNewPrivileges {
		return filter, nil
	}
	return nil, nil
}

// finishExec does the last steps in Go, after start (or for exec): the
// final rlimits, the seccomp filter left by applyProcess, and the exec.
func finishExec(conn *initproto.Conn, proc *configs.Process, exe string, late *seccomp.Filter) error {
	// Only what the process's argv and env need is allocated from here on:
	// an RLIMIT_AS below the Go runtime's reservations must not matter.
	env := processEnv(proc)
	for _, r := range proc.Rlimits {
		// syscall.Setrlimit, not unix.Setrlimit: for RLIMIT_NOFILE it also
		// stops the Go runtime from restoring its own saved limit at exec.
		if err := syscall.Setrlimit(r.Type, &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return fmt.Errorf("set rlimit %s to soft %d, hard %d: %w", rlimitName(r.Type), r.Soft, r.Hard, err)
		}
	}
	if late != nil {
		if err := loadSeccompFilter(conn, late); err != nil {
			return err
		}
	}
	if err := unix.Exec(exe, proc.Args, env); err != nil {
		return fmt.Errorf("exec %q: %w", proc.Args[0], err)
	}
	return nil
}

// loadSeccompFilter loads the filter and hands a notify fd to the runtime at
// once: every later syscall is filtered and may be one that waits for the
// agent that needs the fd.
func loadSeccompFilter(conn *initproto.Conn, filter *seccomp.Filter) error {
	fd, err := filter.Load()
	if err != nil || fd < 0 {
		return err
	}
	err = conn.SendFd(initproto.MsgSeccompFd, fd)
	unix.Close(fd)
	return err
}

// raiseRlimits applies the rlimits whose hard limit goes up, which needs
// CAP_SYS_RESOURCE and so cannot wait for the end; lowering needs no
// privilege and is left for the last step.
func raiseRlimits(rlimits []configs.Rlimit) error {
	for _, r := range rlimits {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(r.Type, &cur); err != nil {
			return fmt.Errorf("get rlimit %s: %w", rlimitName(r.Type), err)
		}
		if r.Hard <= cur.Max {
			continue
		}
		if err := syscall.Setrlimit(r.Type, &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return fmt.Errorf("set rlimit %s to soft %d, hard %d: %w", rlimitName(r.Type), r.Soft, r.Hard, err)
		}
	}
	return nil
}

// switchUser sets the groups, gid and uid. With keepCaps the permitted
// capabilities survive the switch away from uid 0, so that the configured
// sets can be applied afterwards, as the spec asks.
func switchUser(u configs.User, keepCaps bool) error {
	if keepCaps {
		if err := capabilities.SetKeepCaps(true); err != nil {
			return err
		}
	}
	groups := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		groups[i] = int(g)
	}
	// setgroups is refused in a user namespace whose setgroups file says
	// "deny"; then only an empty list is acceptable.
	if err := syscall.Setgroups(groups); err != nil && !(errors.Is(err, unix.EPERM) && len(groups) == 0) {
		return fmt.Errorf("set additional gids %v: %w", u.AdditionalGids, err)
	}
	if err := syscall.Setgid(int(u.GID)); err != nil {
		return fmt.Errorf("set gid %d: %w", u.GID, err)
	}
	if err := syscall.Setuid(int(u.UID)); err != nil {
		return fmt.Errorf("set uid %d: %w", u.UID, err)
	}
	if keepCaps {
		if err := capabilities.SetKeepCaps(false); err != nil {
			return err
		}
	}
	return nil
}

// processEnv is process.env, plus HOME from the container's /etc/passwd
// when the config does not set it (runc and docker do the same).
func processEnv(proc *configs.Process) []string {
	env := proc.Env
	if _, ok := envValue(env, "HOME"); !ok {
		env = append(append([]string{}, env...), "HOME="+homeDir(proc.User.UID))
	}
	return env
}

func homeDir(uid uint32) string {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return "/"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) >= 6 && fields[2] == strconv.FormatUint(uint64(uid), 10) && fields[5] != "" {
			return fields[5]
		}
	}
	return "/"
}

// closeExtraFds marks every fd from first up close-on-exec, so only stdio
// and the preserved fds reach the container's process (a leaked runtime fd
// to a host directory is a container escape, CVE-2024-21626). close_range
// needs no /proc, which the container's rootfs controls by now.
func closeExtraFds(first int) error {
	if err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("mark fds from %d close-on-exec: %w", first, err)
	}
	return nil
}

// hookState is the state handed to hooks that run inside the container.
func hookState(ic *initproto.InitConfig, status specs.ContainerState) *specs.State {
	st := &specs.State{}
	if len(ic.State) > 0 {
		json.Unmarshal(ic.State, st) // produced by the runtime from the same types
	}
	st.Status = status
	return st
}

// sendSeccompProgram hands the runtime the filter as BPF, for the execs to
// come (see initproto.MsgSeccompProgram). The filter keeps the program and
// loads it later without generating it again. A filter with a notify rule
// needs its listener fd, which only libseccomp's load hands out: execs of
// such a container go through stage 1.
func sendSeccompProgram(conn *initproto.Conn, filter *seccomp.Filter) error {
	if filter == nil || filter.UsesNotify() {
		return nil
	}
	prog, flags, err := filter.BPF()
	if err != nil {
		return err
	}
	return conn.Send(initproto.MsgSeccompProgram, append(binary.LittleEndian.AppendUint32(nil, flags), prog...))
}

// buildSeccomp compiles linux.seccomp, or returns nil when there is none.
func buildSeccomp(cfg *configs.Config) (*seccomp.Filter, error) {
	if cfg.Seccomp == nil {
		return nil, nil
	}
	return seccomp.Build(cfg.Seccomp)
}
