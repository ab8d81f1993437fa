package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/specconv"
)

var updateCommand = &cli.Command{
	Name:      "update",
	Usage:     "change the resource limits of a running container",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "JSON file with a linux.resources object, - for stdin"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit (bytes, or with k/m/g suffix)"},
		&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory+swap limit, -1 for unlimited"},
		&cli.StringFlag{Name: "kernel-memory", Usage: "kernel memory limit (ignored by recent kernels)"},
		&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "kernel TCP buffer limit"},
		&cli.StringFlag{Name: "cpu-period", Usage: "CPU CFS period in microseconds"},
		&cli.StringFlag{Name: "cpu-quota", Usage: "CPU CFS quota in microseconds, -1 for none"},
		&cli.StringFlag{Name: "cpu-burst", Usage: "CPU CFS burst in microseconds"},
		&cli.StringFlag{Name: "cpu-share", Usage: "CPU shares (relative weight)"},
		&cli.StringFlag{Name: "cpu-rt-period", Usage: "realtime period in microseconds"},
		&cli.StringFlag{Name: "cpu-rt-runtime", Usage: "realtime runtime in microseconds"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to use (0-3,7)"},
		&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use"},
		&cli.StringFlag{Name: "blkio-weight", Usage: "block IO weight, 10 to 1000"},
		&cli.StringFlag{Name: "pids-limit", Usage: "maximum number of processes, -1 for none"},
		&cli.StringFlag{Name: "l3-cache-schema", Usage: "Intel RDT L3 schema (not supported)"},
		&cli.StringFlag{Name: "mem-bw-schema", Usage: "Intel RDT memory bandwidth schema (not supported)"},
	},
	Action: func(c *cli.Context) error {
		r, err := updateResources(c)
		if err != nil {
			return err
		}
		return onContainer(c, func(ctr *libcontainer.Container) error { return ctr.Update(r) })
	},
}

// updateResources builds the resources to apply from --resources and the
// per-field flags; flags win over the file, as in runc.
func updateResources(c *cli.Context) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if path := c.String("resources"); path != "" {
		var in io.Reader = os.Stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
			in = f
		}
		if err := json.NewDecoder(in).Decode(r); err != nil {
			return nil, fmt.Errorf("--resources %s: parse JSON: %w", path, err)
		}
	}
	if c.String("l3-cache-schema") != "" || c.String("mem-bw-schema") != "" {
		return nil, errors.New("update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported")
	}
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	for _, f := range []struct {
		flag string
		set  func(string) error
	}{
		{"memory", func(v string) error { return setBytes(&mem().Limit, v) }},
		{"memory-reservation", func(v string) error { return setBytes(&mem().Reservation, v) }},
		{"memory-swap", func(v string) error { return setBytes(&mem().Swap, v) }},
		{"kernel-memory", func(v string) error { return setBytes(&mem().Kernel, v) }},        //nolint:staticcheck // deprecated, still accepted
		{"kernel-memory-tcp", func(v string) error { return setBytes(&mem().KernelTCP, v) }}, //nolint:staticcheck // deprecated, still accepted
		{"cpu-period", func(v string) error { return setUint(&cpu().Period, v) }},
		{"cpu-quota", func(v string) error { return setInt(&cpu().Quota, v) }},
		{"cpu-burst", func(v string) error { return setUint(&cpu().Burst, v) }},
		{"cpu-share", func(v string) error { return setUint(&cpu().Shares, v) }},
		{"cpu-rt-period", func(v string) error { return setUint(&cpu().RealtimePeriod, v) }},
		{"cpu-rt-runtime", func(v string) error { return setInt(&cpu().RealtimeRuntime, v) }},
		{"cpuset-cpus", func(v string) error { cpu().Cpus = v; return nil }},
		{"cpuset-mems", func(v string) error { cpu().Mems = v; return nil }},
		{"blkio-weight", func(v string) error {
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return err
			}
			w := uint16(n)
			if r.BlockIO == nil {
				r.BlockIO = &specs.LinuxBlockIO{}
			}
			r.BlockIO.Weight = &w
			return nil
		}},
		{"pids-limit", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return err
			}
			r.Pids = &specs.LinuxPids{Limit: &n}
			return nil
		}},
	} {
		if v := c.String(f.flag); v != "" {
			if err := f.set(v); err != nil {
				return nil, fmt.Errorf("--%s %q: %w", f.flag, v, err)
			}
		}
	}
	return specconv.ValidateResources(r, "resources")
}

func setUint(dst **uint64, v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return err
	}
	*dst = &n
	return nil
}

func setInt(dst **int64, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return err
	}
	*dst = &n
	return nil
}

// setBytes parses a size like runc does: a number of bytes, -1 for no
// limit, or a number with a k, m, g or t suffix (powers of 1024, with or
// without a trailing "b").
func setBytes(dst **int64, v string) error {
	n, err := parseBytes(v)
	if err != nil {
		return err
	}
	*dst = &n
	return nil
}

func parseBytes(v string) (int64, error) {
	if v == "-1" {
		return -1, nil
	}
	s := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), "b")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("not a size: use bytes or a k/m/g/t suffix")
	}
	return int64(f * float64(mult)), nil
}
