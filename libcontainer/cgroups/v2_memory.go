package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"math"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func setV2Memory(w writeFunc, dir string, mem *specs.LinuxMemory) error {
	limit := deref(mem.Limit)
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate {
		// v1 refuses a limit below the usage; v2 would start reclaiming
		// and OOM-killing instead. The spec lets a config ask for v1's
		// behaviour. An unreadable usage (no cgroup yet) checks nothing.
		if usage, err := readUint(dir, "memory.current"); err == nil {
			if limit > 0 && uint64(limit) <= usage {
				return fmt.Errorf("linux.resources.memory.limit %d is not above the current usage %d (checkBeforeUpdate is set)", limit, usage)
			}
			if swap := deref(mem.Swap); swap > 0 && uint64(swap) <= usage {
				return fmt.Errorf("linux.resources.memory.swap %d is not above the current usage %d (checkBeforeUpdate is set)", swap, usage)
			}
		}
	}
	swap, ok, err := memorySwapV2(mem.Swap, mem.Limit)
	if err != nil {
		return err
	}
	if ok {
		err := w(dir, "memory.swap.max", swap)
		// Without swap accounting there is no swap to limit: "max" and
		// "0" are what the container gets anyway.
		if errors.Is(err, fs.ErrNotExist) && (swap == "max" || swap == "0") {
			err = nil
		}
		if err != nil {
			return err
		}
	}
	if limit != 0 {
		if err := w(dir, "memory.max", memoryValue(limit)); err != nil {
			return err
		}
	}
	if r := deref(mem.Reservation); r != 0 {
		if err := w(dir, "memory.low", memoryValue(r)); err != nil {
			return err
		}
	}
	// mem.Kernel is deprecated and has no v2 file; the spec lets runtimes
	// ignore it. The v1-only fields were refused by check.
	return nil
}

// v2MemoryEntry reads memory.<name>current/max/peak ("" or "swap.").
func v2MemoryEntry(dir, name string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	if e.Usage, err = readUint(dir, "memory."+name+"current"); err != nil {
		return e, err
	}
	if e.Limit, err = readUint(dir, "memory."+name+"max"); err != nil {
		return e, err
	}
	// peak: memory.peak since 5.19, memory.swap.peak since 6.5.
	if e.Max, err = readOptionalUint(dir, "memory."+name+"peak"); err != nil {
		return e, err
	}
	// "max" in memory.events counts the times usage hit the limit, v1's
	// failcnt.
	if ev, err := readKeyed(dir, "memory."+name+"events"); err == nil {
		e.Failcnt = ev["max"]
	}
	return e, nil
}

func statV2Memory(dir string, st *Stats) error {
	raw, err := readKeyed(dir, "memory.stat")
	if err != nil {
		return err
	}
	st.Memory.Raw = raw
	st.Memory.Cache = raw["file"]
	if st.Memory.Usage, err = v2MemoryEntry(dir, ""); err != nil {
		return err
	}
	if exists(dir, "memory.swap.current") {
		swap, err := v2MemoryEntry(dir, "swap.")
		if err != nil {
			return err
		}
		// Report memory+swap, as v1 does and as readers of runc's
		// stats expect.
		mem := st.Memory.Usage
		st.Memory.Swap = MemoryEntry{Usage: mem.Usage + swap.Usage, Limit: math.MaxUint64, Failcnt: swap.Failcnt}
		if swap.Limit != math.MaxUint64 && mem.Limit != math.MaxUint64 {
			st.Memory.Swap.Limit = mem.Limit + swap.Limit
		}
	}
	st.Memory.PSI, err = readPSI(dir, "memory.pressure")
	return err
}
