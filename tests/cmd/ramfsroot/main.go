// Command ramfsroot runs a command whose root directory is the kernel's
// initial ramfs, as on a machine booted into an initramfs: the one mount
// that pivot_root can never move, because it has no parent.
//
//	ramfsroot DIR COMMAND [ARG...]
//
// Every mount namespace is a copy of the first one, whose root mount is that
// ramfs, with the real root filesystem mounted on top. In a mount namespace
// of its own, ramfsroot detaches that root filesystem and re-enters the
// namespace, which makes the uncovered ramfs its root. Before that, it takes
// copies of the mount trees COMMAND needs and attaches them again afterwards:
// the host's /proc, /sys (with the cgroup hierarchies) and /dev at their
// places, and DIR at a new directory of the ramfs, which is COMMAND's working
// directory. That directory is /ramfsroot.D, D being DIR's absolute path
// with dashes for its slashes: the caller knows where DIR is, and runs for
// different directories do not meet.
//
// The ramfs is the host's own: whatever is written to it stays in the hidden
// initial ramfs of the host after the namespace is gone. So ramfsroot writes
// only the one directory, removes it when COMMAND has ended, and fails if
// COMMAND left anything else in the ramfs. Mount points for /proc, /sys and
// /dev are not made: the ramfs must have them already (the machine's early
// boot left them); ramfsroot exits with status 3 when it does not. Otherwise
// it exits with COMMAND's status (128+N for signal N); it passes SIGINT,
// SIGTERM and SIGHUP on to COMMAND.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirPrefix starts the names of the directories ramfsroot makes for DIR;
// other runs' directories are not what COMMAND left behind.
const dirPrefix = "ramfsroot."

// errUnsuitable is a ramfs that lacks what COMMAND needs: the machine
// cannot run COMMAND this way, which is no failure of COMMAND.
var errUnsuitable = errors.New("unsuitable ramfs")

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintf(os.Stderr, "usage: %s DIR COMMAND [ARG...]\n", os.Args[0])
		os.Exit(2)
	}
	status, err := run(os.Args[1], os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ramfsroot:", err)
		if errors.Is(err, errUnsuitable) {
			os.Exit(3)
		}
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}

// run does it all on one OS thread: the mount namespace, the root and the
// working directory are the thread's, and COMMAND is started from it.
func run(dir string, command []string) (int, error) {
	runtime.LockOSThread()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	dirTree, err := enterRamfs(dir)
	if err != nil {
		return 0, err
	}
	before, err := ramfsEntries()
	if err != nil {
		unix.Close(dirTree)
		return 0, err
	}
	mine := "/" + dirPrefix + strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-")
	if err := os.Mkdir(mine, 0o700); err != nil {
		unix.Close(dirTree)
		return 0, fmt.Errorf("make a directory in the ramfs: %w", err)
	}
	status, err := runIn(dirTree, dir, mine, command)
	if cerr := removeDir(mine); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err == nil {
		err = newEntries(before)
	}
	return status, err
}

// trees are the host's mount trees that COMMAND finds at the same place in
// the ramfs.
var trees = []string{"/proc", "/sys", "/dev"}

// enterRamfs makes the initial ramfs the thread's root and working
// directory, with the trees attached, and returns a copy of dir's mount
// tree, not attached yet. Unsharing the mount namespace also unshares the
// thread's root and working directory from the other threads, which setns
// requires.
func enterRamfs(dir string) (int, error) {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return -1, fmt.Errorf("unshare the mount namespace: %w", err)
	}
	// Private, so that detaching the root reaches no other namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return -1, fmt.Errorf("make / private: %w", err)
	}
	ns, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open the mount namespace: %w", err)
	}
	defer unix.Close(ns)
	// The copies outlive the detached root filesystem, whose paths
	// cannot be reached from the ramfs.
	copies := make([]int, len(trees))
	for i, p := range trees {
		if copies[i], err = copyTree(p); err != nil {
			return -1, err
		}
		defer unix.Close(copies[i])
	}
	dirTree, err := copyTree(dir)
	if err != nil {
		return -1, err
	}
	if err := unix.Unmount("/", unix.MNT_DETACH); err != nil {
		unix.Close(dirTree)
		return -1, fmt.Errorf("detach the root filesystem: %w", err)
	}
	// Entering a mount namespace sets root and working directory to the
	// topmost mount on its root: now the ramfs.
	if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
		unix.Close(dirTree)
		return -1, fmt.Errorf("enter the mount namespace again: %w", err)
	}
	for i, p := range trees {
		if _, err := os.Stat(p); err != nil {
			unix.Close(dirTree)
			return -1, fmt.Errorf("%w: the initial ramfs has no %s to attach the host's on", errUnsuitable, p)
		}
		if err := attach(copies[i], p, p); err != nil {
			unix.Close(dirTree)
			return -1, err
		}
	}
	return dirTree, nil
}

// copyTree copies the mount tree at path, submounts included, as a detached
// tree.
func copyTree(path string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("copy the mount tree of %s: %w", path, err)
	}
	return fd, nil
}

// attach attaches the copy tree of the mount tree at from onto to.
func attach(tree int, from, to string) error {
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, to, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach the copy of %s on %s: %w", from, to, err)
	}
	return nil
}

// runIn attaches dirTree, the copy of dir, on mine and runs COMMAND there.
func runIn(dirTree int, dir, mine string, command []string) (int, error) {
	err := attach(dirTree, dir, mine)
	unix.Close(dirTree)
	if err != nil {
		return 0, err
	}
	if err := os.Chdir(mine); err != nil {
		return 0, err
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(signals)
	// Started from this thread, COMMAND inherits its root and working
	// directory.
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exit.ExitCode(), nil
	}
	return 0, err
}

// removeDir detaches DIR from mine and removes mine, which is then empty.
func removeDir(mine string) error {
	if err := unix.Unmount(mine, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("detach %s: %w", mine, err)
	}
	if err := unix.Rmdir(mine); err != nil {
		return fmt.Errorf("remove %s from the initial ramfs: %w", mine, err)
	}
	return nil
}

// ramfsEntries lists the top directory of the ramfs.
func ramfsEntries() ([]string, error) {
	f, err := os.Open("/")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// newEntries fails when the ramfs has an entry it did not have before,
// other than the directory of another run.
func newEntries(before []string) error {
	after, err := ramfsEntries()
	if err != nil {
		return err
	}
	var left []string
	for _, e := range after {
		if !slices.Contains(before, e) && !strings.HasPrefix(e, dirPrefix) {
			left = append(left, "/"+e)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("left in the host's initial ramfs: %s", strings.Join(left, " "))
	}
	return nil
}
