package cgroups

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func setV2CPU(w writeFunc, dir string, c *specs.LinuxCPU) error {
	if s := deref(c.Shares); s != 0 {
		if err := w(dir, "cpu.weight", strconv.FormatUint(cpuSharesToWeight(s), 10)); err != nil {
			return err
		}
	}
	var bw []fileValue
	cur := ""
	if deref(c.Quota) == 0 && deref(c.Period) != 0 {
		cur, _ = readFile(dir, "cpu.max")
	}
	if v, ok := cpuMax(c.Quota, c.Period, cur); ok {
		bw = append(bw, fileValue{"cpu.max", v})
	}
	if c.Burst != nil {
		bw = append(bw, fileValue{"cpu.max.burst", strconv.FormatUint(*c.Burst, 10)})
	}
	if err := writeSettling(w, dir, bw); err != nil {
		return withHint(err, "burst cannot exceed the quota")
	}
	if c.Idle != nil {
		if err := w(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return nil
}

func statV2CPU(dir string, st *Stats) error {
	m, err := readKeyed(dir, "cpu.stat")
	if err != nil {
		return err
	}
	const nsPerUs = 1000
	st.CPU.Usage.Total = m["usage_usec"] * nsPerUs
	st.CPU.Usage.User = m["user_usec"] * nsPerUs
	st.CPU.Usage.Kernel = m["system_usec"] * nsPerUs
	st.CPU.Throttling = Throttling{
		Periods:          m["nr_periods"],
		ThrottledPeriods: m["nr_throttled"],
		ThrottledTime:    m["throttled_usec"] * nsPerUs,
	}
	st.CPU.PSI, err = readPSI(dir, "cpu.pressure")
	return err
}
