package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// inheritCpuset copies cpuset.cpus and cpuset.mems from the parent into a
// newly created v1 cpuset cgroup, which starts with both empty.
// unsetCpusets lists, parents first, the directories of made and dir and
// its ancestors whose cpuset.cpus is still empty.
func unsetCpusets(dir string, made []string) []string {
	var out []string
	for d := dir; !slices.Contains(made, d); d = filepath.Dir(d) {
		cur, err := readFile(d, "cpuset.cpus")
		if err != nil || strings.TrimSpace(cur) != "" {
			break
		}
		out = append(out, d)
	}
	slices.Reverse(out)
	return append(slices.Clone(made), out...)
}

func inheritCpuset(w writeFunc, dir string) error {
	parent := filepath.Dir(dir)
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(dir, f)
		if err != nil {
			return fmt.Errorf("prepare cpuset cgroup %s: %w", dir, err)
		}
		if strings.TrimSpace(cur) != "" {
			continue
		}
		v, err := readFile(parent, f)
		if err != nil {
			return fmt.Errorf("prepare cpuset cgroup %s: %w", dir, err)
		}
		if err := w(dir, f, strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("prepare cpuset cgroup: %w", err)
		}
	}
	return nil
}

// setCpuset writes cpus and mems; the file names are the same on v1 and v2.
func setCpuset(w writeFunc, dir string, c *specs.LinuxCPU) error {
	for _, f := range []struct{ file, value string }{
		{"cpuset.cpus", c.Cpus},
		{"cpuset.mems", c.Mems},
	} {
		if f.value == "" {
			continue
		}
		err := w(dir, f.file, f.value)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ERANGE) || errors.Is(err, unix.ENOSPC) {
			return withHint(err, "not a valid list, or not within the parent's "+parentCpuset(filepath.Dir(dir), f.file))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parentCpuset describes what a parent cpuset allows, for error messages.
func parentCpuset(parent, file string) string {
	// v1 spells it cpuset.effective_cpus, v2 cpuset.cpus.effective.
	for _, name := range []string{strings.Replace(file, "cpuset.", "cpuset.effective_", 1), file + ".effective"} {
		if v, err := readFile(parent, name); err == nil {
			return fmt.Sprintf("%s %q", name, strings.TrimSpace(v))
		}
	}
	return file
}

func statV1Cpuset(dir string, st *Stats) error {
	s := &st.CPUSet
	for _, f := range []struct {
		file string
		dst  *[]uint16
	}{{"cpuset.cpus", &s.CPUs}, {"cpuset.mems", &s.Mems}} {
		v, err := readFile(dir, f.file)
		if err != nil {
			return err
		}
		if *f.dst, err = parseCPUList(v); err != nil {
			return fmt.Errorf("parse %s: %w", filepath.Join(dir, f.file), err)
		}
	}
	flags := []struct {
		file string
		dst  *uint64
	}{
		{"cpuset.cpu_exclusive", &s.CPUExclusive},
		{"cpuset.mem_hardwall", &s.MemHardwall},
		{"cpuset.mem_exclusive", &s.MemExclusive},
		{"cpuset.memory_migrate", &s.MemoryMigrate},
		{"cpuset.memory_spread_page", &s.MemorySpreadPage},
		{"cpuset.memory_spread_slab", &s.MemorySpreadSlab},
		{"cpuset.memory_pressure", &s.MemoryPressure},
		{"cpuset.sched_load_balance", &s.SchedLoadBalance},
	}
	for _, f := range flags {
		v, err := readOptionalUint(dir, f.file)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if v, err := readFile(dir, "cpuset.sched_relax_domain_level"); err == nil {
		if s.SchedRelaxDomainLevel, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return fmt.Errorf("parse %s: %w", filepath.Join(dir, "cpuset.sched_relax_domain_level"), err)
		}
	}
	return nil
}
