package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// userHZ is the unit of cpuacct.stat; Linux fixes it at 100 for userspace.
const userHZ = 100

type fileValue struct{ file, value string }

// writeSettling writes values that constrain each other (period and quota,
// quota and burst, real-time period and runtime) where the kernel checks
// each write against the values still in place. A write refused with
// EINVAL is retried after the others, for as long as retries make
// progress, so both raising and lowering work whatever the old values.
func writeSettling(w writeFunc, dir string, values []fileValue) error {
	pending := values
	for len(pending) > 0 {
		var again []fileValue
		var lastErr error
		for _, v := range pending {
			err := w(dir, v.file, v.value)
			if err == nil {
				continue
			}
			if !errors.Is(err, unix.EINVAL) {
				return err
			}
			again = append(again, v)
			lastErr = err
		}
		if len(again) == len(pending) {
			return lastErr
		}
		pending = again
	}
	return nil
}

func checkCPU(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if s := deref(c.Shares); s != 0 && (s < 2 || s > 262144) {
		return fmt.Errorf("linux.resources.cpu.shares %d is outside [2, 262144]", s)
	}
	if q, b := deref(c.Quota), deref(c.Burst); q > 0 && b > uint64(q) {
		return fmt.Errorf("linux.resources.cpu.burst %d is larger than quota %d", b, q)
	}
	if i := deref(c.Idle); i != 0 && i != 1 {
		return fmt.Errorf("linux.resources.cpu.idle %d is neither 0 nor 1", i)
	}
	return nil
}

func setV1CPU(w writeFunc, dir string, c *specs.LinuxCPU) error {
	if err := checkCPU(c); err != nil {
		return err
	}
	if s := deref(c.Shares); s != 0 {
		if err := w(dir, "cpu.shares", strconv.FormatUint(s, 10)); err != nil {
			return err
		}
	}
	var bw []fileValue
	if p := deref(c.Period); p != 0 {
		bw = append(bw, fileValue{"cpu.cfs_period_us", strconv.FormatUint(p, 10)})
	}
	if q := deref(c.Quota); q != 0 {
		bw = append(bw, fileValue{"cpu.cfs_quota_us", strconv.FormatInt(q, 10)})
	}
	if c.Burst != nil {
		if !exists(dir, "cpu.cfs_burst_us") {
			if *c.Burst != 0 {
				return fmt.Errorf("linux.resources.cpu.burst: %s does not exist (the kernel has no CFS burst, added in 5.14)", filepath.Join(dir, "cpu.cfs_burst_us"))
			}
		} else {
			bw = append(bw, fileValue{"cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)})
		}
	}
	if err := writeSettling(w, dir, bw); err != nil {
		return withHint(err, "quota/period must fit within the parent cgroup's quota, and burst within quota")
	}
	if err := setV1Realtime(w, dir, c); err != nil {
		return err
	}
	if c.Idle != nil {
		if err := w(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return nil
}

func setV1Realtime(w writeFunc, dir string, c *specs.LinuxCPU) error {
	var rt []fileValue
	if p := deref(c.RealtimePeriod); p != 0 {
		rt = append(rt, fileValue{"cpu.rt_period_us", strconv.FormatUint(p, 10)})
	}
	if r := deref(c.RealtimeRuntime); r != 0 {
		rt = append(rt, fileValue{"cpu.rt_runtime_us", strconv.FormatInt(r, 10)})
	}
	err := writeSettling(w, dir, rt)
	if errors.Is(err, unix.EINVAL) {
		return withHint(err, "the real-time runtime must fit in the parent cgroup's real-time budget (its cpu.rt_runtime_us)")
	}
	return err
}

func statV1CPU(dir string, st *Stats) error {
	m, err := readKeyed(dir, "cpu.stat")
	if err != nil {
		return err
	}
	st.CPU.Throttling = Throttling{
		Periods:          m["nr_periods"],
		ThrottledPeriods: m["nr_throttled"],
		ThrottledTime:    m["throttled_time"],
	}
	return nil
}

func statV1Cpuacct(dir string, st *Stats) error {
	u := &st.CPU.Usage
	var err error
	if u.Total, err = readUint(dir, "cpuacct.usage"); err != nil {
		return err
	}
	s, err := readFile(dir, "cpuacct.usage_percpu")
	if err != nil {
		return err
	}
	if u.Percpu, err = parseUintList(s); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Join(dir, "cpuacct.usage_percpu"), err)
	}
	// usage_all (4.16+) splits each CPU's time into user and system.
	if s, err := readFile(dir, "cpuacct.usage_all"); err == nil {
		if u.PercpuUser, u.PercpuKernel, err = parseCpuacctUsageAll(s); err != nil {
			return fmt.Errorf("parse %s: %w", filepath.Join(dir, "cpuacct.usage_all"), err)
		}
	}
	m, err := readKeyed(dir, "cpuacct.stat")
	if err != nil {
		return err
	}
	const nsPerTick = 1_000_000_000 / userHZ
	u.User = m["user"] * nsPerTick
	u.Kernel = m["system"] * nsPerTick
	return nil
}
