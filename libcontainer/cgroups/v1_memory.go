package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	v1MemLimit   = "memory.limit_in_bytes"
	v1MemswLimit = "memory.memsw.limit_in_bytes"
)

// checkMemory validates linux.resources.memory for either version.
func checkMemory(m *specs.LinuxMemory) error {
	if m == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap}, {"kernel", m.Kernel}, {"kernelTCP", m.KernelTCP}} {
		if f.v != nil && *f.v < -1 {
			return fmt.Errorf("linux.resources.memory.%s %d is not a limit (use -1 for unlimited)", f.name, *f.v)
		}
	}
	if m.Swappiness != nil && *m.Swappiness > 100 {
		return fmt.Errorf("linux.resources.memory.swappiness %d is outside [0, 100]", *m.Swappiness)
	}
	limit, swap := deref(m.Limit), deref(m.Swap)
	if limit > 0 && swap > 0 && swap < limit {
		return fmt.Errorf("linux.resources.memory.swap %d is less than memory.limit %d (swap is memory+swap)", swap, limit)
	}
	return nil
}

func setV1Memory(w writeFunc, dir string, m *specs.LinuxMemory) error {
	limit, swap := deref(m.Limit), deref(m.Swap)
	hasMemsw := exists(dir, v1MemswLimit)
	if limit == -1 && swap == 0 && hasMemsw {
		// Lifting the memory limit lifts memory+swap too, or the old
		// memory+swap limit would still cap the container.
		swap = -1
	}
	if swap == -1 && !hasMemsw {
		// Without swap accounting there is no memory+swap limit to lift.
		swap = 0
	}
	if swap != 0 && !hasMemsw {
		return fmt.Errorf("linux.resources.memory.swap is set, but the kernel does not account swap (%s is missing; boot with swapaccount=1)", v1MemswLimit)
	}
	if limit == -1 && swap > 0 {
		return fmt.Errorf("linux.resources.memory.swap %d is a limit, but memory.limit is unlimited: cgroup v1 needs memory+swap >= memory", swap)
	}
	setMem := func() error {
		err := w(dir, v1MemLimit, strconv.FormatInt(limit, 10))
		return withHint(err, v1MemHint(dir, err, limit))
	}
	setSwap := func() error {
		err := w(dir, v1MemswLimit, strconv.FormatInt(swap, 10))
		return withHint(err, v1MemswHint(dir, err))
	}
	switch {
	case limit != 0 && swap != 0:
		// The kernel keeps memory <= memory+swap at every step: when
		// memory+swap grows it must go first, when it shrinks, last.
		swapFirst := swap == -1
		if !swapFirst {
			cur, err := readUint(dir, v1MemswLimit)
			if err != nil {
				return fmt.Errorf("read the current memory+swap limit: %w", err)
			}
			swapFirst = uint64(swap) > cur
		}
		if swapFirst {
			if err := setSwap(); err != nil {
				return err
			}
			if err := setMem(); err != nil {
				return err
			}
		} else {
			if err := setMem(); err != nil {
				return err
			}
			if err := setSwap(); err != nil {
				return err
			}
		}
	case limit != 0:
		if err := setMem(); err != nil {
			return err
		}
	case swap != 0:
		if err := setSwap(); err != nil {
			return err
		}
	}

	if v := deref(m.Kernel); v != 0 && exists(dir, "memory.kmem.limit_in_bytes") {
		// Deprecated by the spec and ignored by kernels since 5.16, which
		// accept the write and do nothing; kernels without the file get
		// nothing, as the spec allows.
		if err := w(dir, "memory.kmem.limit_in_bytes", strconv.FormatInt(v, 10)); err != nil {
			return err
		}
	}
	if v := deref(m.KernelTCP); v != 0 {
		err := w(dir, "memory.kmem.tcp.limit_in_bytes", strconv.FormatInt(v, 10))
		if errors.Is(err, fs.ErrNotExist) {
			return withHint(err, "the kernel has no TCP memory accounting")
		}
		if err != nil {
			return err
		}
	}
	if v := deref(m.Reservation); v != 0 {
		if err := w(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(v, 10)); err != nil {
			return err
		}
	}
	if m.DisableOOMKiller != nil {
		if err := w(dir, "memory.oom_control", boolValue(*m.DisableOOMKiller)); err != nil {
			return err
		}
	}
	if m.Swappiness != nil {
		if err := w(dir, "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10)); err != nil {
			return err
		}
	}
	if m.UseHierarchy != nil {
		err := w(dir, "memory.use_hierarchy", boolValue(*m.UseHierarchy))
		if errors.Is(err, unix.EINVAL) && !*m.UseHierarchy {
			return withHint(err, "this kernel always accounts memory hierarchically")
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EBUSY) {
			return withHint(err, "use_hierarchy can only change while the cgroup has no children")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// v1MemHint explains a refused memory.limit_in_bytes write.
func v1MemHint(dir string, err error, limit int64) string {
	switch {
	case errors.Is(err, unix.EBUSY):
		if u, rerr := readUint(dir, "memory.usage_in_bytes"); rerr == nil && limit >= 0 && u > uint64(limit) {
			return fmt.Sprintf("the container uses %d bytes, more than the new limit, and the kernel could not reclaim enough", u)
		}
		return "the container uses more memory than the new limit and the kernel could not reclaim enough"
	case errors.Is(err, unix.EINVAL):
		if ms, rerr := readUint(dir, v1MemswLimit); rerr == nil && limit >= 0 && uint64(limit) > ms {
			return fmt.Sprintf("the memory+swap limit is %d and the memory limit cannot exceed it; set linux.resources.memory.swap as well", ms)
		}
	}
	return ""
}

func v1MemswHint(dir string, err error) string {
	switch {
	case errors.Is(err, unix.EBUSY):
		return "the container uses more memory+swap than the new limit"
	case errors.Is(err, unix.EINVAL):
		if l, rerr := readUint(dir, v1MemLimit); rerr == nil {
			return fmt.Sprintf("memory+swap cannot be less than the memory limit %d", l)
		}
	}
	return ""
}

// v1MemoryEntry reads one v1 counter family; prefix is "memory.",
// "memory.memsw.", "memory.kmem." or "memory.kmem.tcp.".
func v1MemoryEntry(dir, prefix string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	if e.Usage, err = readUint(dir, prefix+"usage_in_bytes"); err != nil {
		return e, err
	}
	if e.Max, err = readUint(dir, prefix+"max_usage_in_bytes"); err != nil {
		return e, err
	}
	if e.Failcnt, err = readUint(dir, prefix+"failcnt"); err != nil {
		return e, err
	}
	if e.Limit, err = readUint(dir, prefix+"limit_in_bytes"); err != nil {
		return e, err
	}
	return e, nil
}

func statV1Memory(dir string, st *Stats) error {
	raw, err := readKeyed(dir, "memory.stat")
	if err != nil {
		return err
	}
	st.Memory.Raw = raw
	st.Memory.Cache = raw["cache"]
	if st.Memory.Usage, err = v1MemoryEntry(dir, "memory."); err != nil {
		return err
	}
	// Swap and kernel accounting depend on the kernel's configuration.
	optional := []struct {
		prefix string
		dst    *MemoryEntry
	}{
		{"memory.memsw.", &st.Memory.Swap},
		{"memory.kmem.", &st.Memory.Kernel},
		{"memory.kmem.tcp.", &st.Memory.KernelTCP},
	}
	for _, o := range optional {
		if !exists(dir, o.prefix+"usage_in_bytes") {
			continue
		}
		if *o.dst, err = v1MemoryEntry(dir, o.prefix); err != nil {
			return err
		}
	}
	return nil
}
