package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// Errors that users meet often end with their cause and the fix, in one
// line (engines show only the last). Where the fix is a command-line
// option, the error has a type of its own and the command line names the
// option; the library does not know its flags.

// StateRootError is a state root the runtime cannot write to.
type StateRootError struct {
	Root string
	Err  error
}

func (e *StateRootError) Error() string {
	return fmt.Sprintf("%v: the state root %s is on a read-only filesystem; use a state root on a writable one", e.Err, e.Root)
}

func (e *StateRootError) Unwrap() error { return e.Err }

// stateRootErr gives err the StateRootError type when the state root is
// read-only.
func stateRootErr(root string, err error) error {
	if errors.Is(err, unix.EROFS) {
		return &StateRootError{Root: root, Err: err}
	}
	return err
}

// PivotRootError is a create that failed because pivot_root cannot work
// from the runtime's root directory: the initial ramfs can never be moved.
// Only building the rootfs without pivot_root works there.
type PivotRootError struct {
	Err    error
	Reason string
}

func (e *PivotRootError) Error() string {
	return fmt.Sprintf("%v: %s, and pivot_root cannot move it; create the container without pivot_root", e.Err, e.Reason)
}

func (e *PivotRootError) Unwrap() error { return e.Err }

// BuildError is an error of the runtime's own build of a container (see
// runtimeBuilds): the same words as stage 1's, which arrive as an
// initproto.RemoteError.
type BuildError struct{ Err error }

func (e *BuildError) Error() string { return e.Err.Error() }

func (e *BuildError) Unwrap() error { return e.Err }

// explainRootDir explains a failure to build the container that comes from
// the runtime's root directory: pivot_root cannot leave the initial ramfs
// (PivotRootError), and nothing can change the propagation of a root that
// is not a mount point (a chroot). It looks only once the build failed, so
// a successful create pays nothing. The init's errors arrive as text, and
// the runtime's own build (BuildError) says the same words; these two are
// recognised by the operation they name.
func explainRootDir(err error, noPivot bool) error {
	var remote *initproto.RemoteError
	var built *BuildError
	var msg string
	switch {
	case errors.As(err, &remote):
		msg = remote.Msg
	case errors.As(err, &built):
		msg = built.Err.Error()
	default:
		return err
	}
	switch {
	case !noPivot && strings.Contains(msg, "pivot_root"):
		if hostRootKind() == rootRamfs {
			return &PivotRootError{Err: err, Reason: "the runtime's root directory is the initial ramfs"}
		}
	case strings.Contains(msg, "propagation of /"):
		if hostRootKind() == rootNotMounted {
			return fmt.Errorf("%w: the runtime's root directory is not a mount point (a chroot); bind-mount that directory on itself before entering it", err)
		}
	}
	return err
}

const (
	rootMounted    = iota // a mount point that pivot_root can move
	rootRamfs             // the initial ramfs, which pivot_root cannot move
	rootNotMounted        // a plain directory: the runtime is in a chroot
	rootUnknown           // mountinfo could not be read
)

func hostRootKind() int {
	b, err := smallfile.Read("/proc/self/mountinfo")
	if err != nil {
		return rootUnknown
	}
	return rootDirKind(bytes.NewReader(b))
}

// rootDirKind tells from mountinfo what the root directory is: every mount
// on it is listed with mount point "/", the one on top last. pivot_root
// refuses a root mount that has no parent, and the only such mount a
// process can have as its root is the root of its mount namespace, a copy
// of the initial ramfs: mountinfo lists it as its own parent. Its type is no
// sure sign: the kernel names it rootfs whether it is a ramfs or a tmpfs,
// and a ramfs or tmpfs mounted later on "/" has a parent.
func rootDirKind(mounts io.Reader) int {
	onRoot, err := mountinfo.GetMountsFromReader(mounts, func(m *mountinfo.Info) (skip, stop bool) {
		return m.Mountpoint != "/", false
	})
	switch {
	case err != nil:
		return rootUnknown
	case len(onRoot) == 0:
		return rootNotMounted
	}
	if top := onRoot[len(onRoot)-1]; top.ID == top.Parent {
		return rootRamfs
	}
	return rootMounted
}
