package capabilities

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// Threading. Linux keeps the permitted, effective and inheritable sets, the
// bounding set, the ambient set and the keep-capabilities flag per thread,
// and execve(2) carries over only the calling thread's state. A Go program has
// many threads, so the functions below change only the thread they run on.
// That is what the container init needs: it locks one goroutine to its OS
// thread (runtime.LockOSThread), calls, in this order,
//
//	DropBounding -> SetKeepCaps(true) -> setgroups/setgid/setuid -> Set -> SetAmbient
//
// on that thread, and execs from the same thread (the user process, or the
// start waiter that execs it). Other threads of the init keep their
// privileges until the exec
// replaces the whole process, which is harmless because no other thread runs
// container-supplied code. Anyone else must follow the same rule: call these
// from a locked thread and do not unlock it before exec (or let the thread
// die by returning from the goroutine while it is still locked).

const lastCapPath = "/proc/sys/kernel/cap_last_cap"

var (
	lastCapMu     sync.Mutex
	lastCapCached = -1
)

// LastCap returns the highest capability number the running kernel knows
// (/proc/sys/kernel/cap_last_cap). A successful read is cached, so calling it
// once before the container's /proc replaces the host's keeps it working
// afterwards.
func LastCap() (int, error) {
	lastCapMu.Lock()
	defer lastCapMu.Unlock()
	if lastCapCached >= 0 {
		return lastCapCached, nil
	}
	data, err := smallfile.ReadRecord(lastCapPath)
	if err != nil {
		return 0, fmt.Errorf("read the kernel's last capability: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 || n > 63 {
		return 0, fmt.Errorf("read the kernel's last capability: %s holds %q, not a capability number", lastCapPath, strings.TrimSpace(string(data)))
	}
	lastCapCached = n
	return n, nil
}

// Bounding returns the calling thread's bounding set as a bit mask, bit n
// for capability n, read with PR_CAPBSET_READ for every capability up to
// LastCap. No process, and no user namespace it creates, can ever hold a
// capability outside its bounding set, so the runtime uses this to find the
// capabilities it cannot grant to a container. All threads of a process that
// has not called DropBounding share the same set.
func Bounding() (uint64, error) {
	last, err := LastCap()
	if err != nil {
		return 0, err
	}
	var set uint64
	for c := 0; c <= last; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			return 0, fmt.Errorf("read %s from the bounding set: %w", describe(c), err)
		}
		if in != 0 {
			set |= 1 << uint(c)
		}
	}
	return set, nil
}

// describe names a capability for error messages, also when the table does
// not know its number.
func describe(n int) string {
	if name := Name(n); name != "" {
		return name
	}
	return "capability " + strconv.Itoa(n)
}

// DropBounding removes from the calling thread's bounding set every
// capability from 0 to LastCap that keep does not list. Capabilities already
// absent are skipped, so this works without CAP_SETPCAP when there is nothing
// to drop. keep may only name capabilities the kernel knows.
func DropBounding(keep []int) error {
	last, err := LastCap()
	if err != nil {
		return err
	}
	kept := make([]bool, last+1)
	for _, c := range keep {
		if c < 0 || c > last {
			return fmt.Errorf("drop bounding capabilities: %s is not known to the running kernel (cap_last_cap is %d)", describe(c), last)
		}
		kept[c] = true
	}
	for c := 0; c <= last; c++ {
		if kept[c] {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil {
			return fmt.Errorf("read %s from the bounding set: %w", describe(c), err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop %s from the bounding set: %w", describe(c), err)
		}
	}
	return nil
}

// SetKeepCaps sets the calling thread's keep-capabilities flag
// (PR_SET_KEEPCAPS). With it set, the permitted set survives the switch from
// uid 0 to the container user, so Set can still grant capabilities to a
// non-root process. The kernel clears the flag on execve.
func SetKeepCaps(keep bool) error {
	var v uintptr
	if keep {
		v = 1
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, v, 0, 0, 0); err != nil {
		return fmt.Errorf("set keep-capabilities to %t: %w", keep, err)
	}
	return nil
}

// Set replaces the calling thread's effective, permitted and inheritable sets
// with those in c (capset(2), version 3). The bounding and ambient sets are
// left alone: see DropBounding and SetAmbient. The kernel refuses (EPERM) to
// raise a permitted capability the thread does not have, an effective one
// outside the new permitted set, or an inheritable one outside the bounding
// set without CAP_SETPCAP.
func Set(c *configs.Capabilities) error {
	if c == nil {
		return errors.New("set capabilities: no capability sets given")
	}
	var data [2]unix.CapUserData
	sets := []struct {
		name string
		caps []int
		set  func(d *unix.CapUserData, bit uint32)
	}{
		{"effective", c.Effective, func(d *unix.CapUserData, bit uint32) { d.Effective |= bit }},
		{"permitted", c.Permitted, func(d *unix.CapUserData, bit uint32) { d.Permitted |= bit }},
		{"inheritable", c.Inheritable, func(d *unix.CapUserData, bit uint32) { d.Inheritable |= bit }},
	}
	for _, s := range sets {
		for _, n := range s.caps {
			if n < 0 || n > 63 {
				return fmt.Errorf("set capabilities: %s set: %s is out of range", s.name, describe(n))
			}
			s.set(&data[n/32], 1<<(uint(n)%32))
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset (effective %s, permitted %s, inheritable %s): %w",
			list(c.Effective), list(c.Permitted), list(c.Inheritable), err)
	}
	return nil
}

// SetAmbient clears the calling thread's ambient set and raises each
// capability in caps. The kernel refuses (EPERM) to raise one that is not in
// both the permitted and the inheritable set, so call Set first.
func SetAmbient(caps []int) error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear the ambient capability set: %w", err)
	}
	for _, n := range caps {
		if n < 0 {
			return fmt.Errorf("raise ambient %s: out of range", describe(n))
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("raise ambient %s: %w", describe(n), err)
		}
	}
	return nil
}

// list renders a set for error messages.
func list(caps []int) string {
	if len(caps) == 0 {
		return "[]"
	}
	names := make([]string, len(caps))
	for i, n := range caps {
		names[i] = describe(n)
	}
	return "[" + strings.Join(names, " ") + "]"
}
