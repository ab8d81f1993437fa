package hostcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Some checks change the process that makes them for good (pivot_root,
// no_new_privs, a seccomp filter) or need a mount namespace of its own,
// which a multi-threaded Go process cannot enter. They run in a child: the
// ocirun binary again, cloned into a new mount namespace, which finds
// probeEnv in its environment before anything else runs (RunProbeIfAsked),
// does the probe and prints the results as JSON. The namespace, and all it
// mounted, go away with the child.
const probeEnv = "_OCIRUN_CHECK_PROBE"

// probeRequest says what a probe child tries.
type probeRequest struct {
	// Pivot is a directory to pivot_root into, the way create does with
	// a rootfs: bound on itself, then pivot_root(".", "."). Last, alone.
	Pivot string `json:"pivot,omitempty"`
	// Mounts tries a tmpfs and an overlay on it.
	Mounts bool `json:"mounts,omitempty"`
	// Confine tries no_new_privs, a seccomp filter and a notify listener.
	Confine bool `json:"confine,omitempty"`
}

// probeResults maps a probe name to its error text; "" is success.
type probeResults map[string]string

// RunProbeIfAsked makes this process a probe child when it was started as
// one, and then exits; otherwise it returns at once. main calls it first.
func RunProbeIfAsked() {
	arg, ok := os.LookupEnv(probeEnv)
	if !ok {
		return
	}
	var req probeRequest
	if err := json.Unmarshal([]byte(arg), &req); err != nil {
		fmt.Fprintln(os.Stderr, "bad probe request:", err)
		os.Exit(2)
	}
	// The filters and no_new_privs are per thread: keep to one.
	runtime.LockOSThread()
	res := probeResults{}
	set := func(name string, err error) {
		res[name] = ""
		if err != nil {
			res[name] = err.Error()
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		set("private mount namespace", err)
	} else {
		if req.Mounts {
			tmpfsErr, overlayErr := probeMounts()
			set("tmpfs", tmpfsErr)
			set("overlay", overlayErr)
		}
		if req.Pivot != "" {
			set("pivot_root", probePivot(req.Pivot))
		}
	}
	if req.Confine {
		nnpErr, seccompErr, notifyErr := probeConfine()
		set("no_new_privs", nnpErr)
		set("seccomp", seccompErr)
		set("seccomp notify", notifyErr)
	}
	json.NewEncoder(os.Stdout).Encode(res)
	os.Exit(0)
}

// runProbe starts a probe child and returns its results.
func runProbe(req probeRequest) (probeResults, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{probeEnv + "=" + string(b)}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if uid, gid := os.Geteuid(), os.Getegid(); uid != 0 {
		// Without privilege, a mount namespace needs a user namespace.
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	}
	out, err := cmd.Output()
	if err != nil {
		if msg := bytes.TrimSpace(stderr.Bytes()); len(msg) > 0 {
			return nil, fmt.Errorf("probe in a new mount namespace: %w: %s", err, msg)
		}
		return nil, fmt.Errorf("probe in a new mount namespace: %w", err)
	}
	res := probeResults{}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("probe in a new mount namespace: bad answer %q: %w", out, err)
	}
	return res, nil
}

// get returns the error of one probe: nil when it succeeded, an error when
// it failed or did not run.
func (r probeResults) get(name string) error {
	msg, ok := r[name]
	if !ok {
		return errors.New("not tried")
	}
	if msg == "" {
		return nil
	}
	return errors.New(msg)
}

// probeMounts mounts a tmpfs over /tmp (or /) and an overlay made of
// directories on it, and reads a file through the overlay.
func probeMounts() (tmpfsErr, overlayErr error) {
	dir := "/tmp"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "/"
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", dir, err), errors.New("needs a tmpfs")
	}
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return fmt.Errorf("tmpfs: %w", err), errors.New("needs a tmpfs")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "lower", "f"), []byte("x"), 0o600); err != nil {
		return fmt.Errorf("tmpfs: %w", err), errors.New("needs a tmpfs")
	}
	data := fmt.Sprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", dir, dir, dir)
	merged := filepath.Join(dir, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, data); err != nil {
		return nil, fmt.Errorf("mount overlay: %w", err)
	}
	if _, err := os.ReadFile(filepath.Join(merged, "f")); err != nil {
		return nil, fmt.Errorf("read through overlay: %w", err)
	}
	return nil, nil
}

// probePivot does what create does with a rootfs: bind it on itself and
// pivot_root(".", ".") into it.
func probePivot(dir string) error {
	if err := unix.Mount(dir, dir, "bind", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on itself: %w", dir, err)
	}
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", dir, err)
	}
	return nil
}

// probeConfine sets no_new_privs, loads an allow-all seccomp filter, then
// one with a notify listener.
func probeConfine() (nnpErr, seccompErr, notifyErr error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		nnpErr = fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	} else if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || v != 1 {
		nnpErr = fmt.Errorf("no_new_privs reads back as %d (%v)", v, err)
	}
	if nnpErr != nil {
		err := errors.New("needs no_new_privs")
		return nnpErr, err, err
	}
	allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	prog := unix.SockFprog{Len: uint16(len(allow)), Filter: &allow[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return nil, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", e), errors.New("needs seccomp")
	}
	fd, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return nil, nil, fmt.Errorf("seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): %w", e)
	}
	unix.Close(int(fd))
	return nil, nil, nil
}
