package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func setV2IO(w writeFunc, dir string, b *specs.LinuxBlockIO) error {
	// BFQ's io.bfq.weight takes blkio's range [1, 1000] as is; without
	// BFQ, io.weight [1, 10000] gets the converted value.
	bfq := exists(dir, "io.bfq.weight")
	weight := func(w16 uint16, field string) (string, string, error) {
		if bfq {
			return "io.bfq.weight", strconv.FormatUint(uint64(w16), 10), nil
		}
		v, err := blkioWeightToIOWeight(w16)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", field, err)
		}
		return "io.weight", strconv.FormatUint(v, 10), nil
	}
	if b.Weight != nil {
		file, v, err := weight(*b.Weight, "linux.resources.blockIO.weight")
		if err != nil {
			return err
		}
		if err := w(dir, file, v); err != nil {
			return err
		}
	}
	for i, d := range b.WeightDevice {
		file, v, err := weight(*d.Weight, fmt.Sprintf("linux.resources.blockIO.weightDevice[%d].weight", i))
		if err != nil {
			return err
		}
		if err := w(dir, file, fmt.Sprintf("%d:%d %s", d.Major, d.Minor, v)); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			v := fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, t.key, throttleRateV2(d.Rate))
			if err := w(dir, "io.max", v); err != nil {
				return err
			}
		}
	}
	return nil
}

func statV2IO(dir string, st *Stats) error {
	s, err := readFile(dir, "io.stat")
	if err != nil {
		return err
	}
	b, err := parseIOStat(s)
	if err != nil {
		return fmt.Errorf("parse %s/io.stat: %w", dir, err)
	}
	st.Blkio = b
	st.Blkio.PSI, err = readPSI(dir, "io.pressure")
	return err
}
