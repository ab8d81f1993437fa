package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func setV1Blkio(w writeFunc, dir string, b *specs.LinuxBlockIO) error {
	// CFQ (gone since 5.0) has blkio.weight; BFQ has blkio.bfq.weight with
	// the same meaning and format.
	weight, weightDev := "blkio.weight", "blkio.weight_device"
	if !exists(dir, weight) && exists(dir, "blkio.bfq.weight") {
		weight, weightDev = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	noWeight := func(err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return withHint(err, "no proportional I/O weights here: they need the CFQ or BFQ I/O scheduler")
		}
		return err
	}
	noLeaf := func(err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return withHint(err, "leaf weights exist only with the CFQ I/O scheduler, removed in Linux 5.0")
		}
		return err
	}
	if b.Weight != nil {
		if err := w(dir, weight, strconv.FormatUint(uint64(*b.Weight), 10)); err != nil {
			return noWeight(err)
		}
	}
	if b.LeafWeight != nil {
		if err := w(dir, "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)); err != nil {
			return noLeaf(err)
		}
	}
	for _, d := range b.WeightDevice {
		dev := fmt.Sprintf("%d:%d ", d.Major, d.Minor)
		if d.Weight != nil {
			if err := w(dir, weightDev, dev+strconv.FormatUint(uint64(*d.Weight), 10)); err != nil {
				return noWeight(err)
			}
		}
		if d.LeafWeight != nil {
			if err := w(dir, "blkio.leaf_weight_device", dev+strconv.FormatUint(uint64(*d.LeafWeight), 10)); err != nil {
				return noLeaf(err)
			}
		}
	}
	for _, t := range []struct {
		file string
		devs []specs.LinuxThrottleDevice
	}{
		{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	} {
		for _, d := range t.devs {
			if err := w(dir, t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// statV1Blkio reads the recursive I/O counters of the first of CFQ, BFQ and
// the throttling layer that has any (each counts only I/O it sees).
func statV1Blkio(dir string, st *Stats) error {
	type src struct {
		file string
		dst  *[]BlkioEntry
	}
	b := &st.Blkio
	sets := [][]src{
		{ // CFQ
			{"blkio.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.io_serviced_recursive", &b.IoServicedRecursive},
			{"blkio.io_queued_recursive", &b.IoQueuedRecursive},
			{"blkio.io_service_time_recursive", &b.IoServiceTimeRecursive},
			{"blkio.io_wait_time_recursive", &b.IoWaitTimeRecursive},
			{"blkio.io_merged_recursive", &b.IoMergedRecursive},
			{"blkio.time_recursive", &b.IoTimeRecursive},
			{"blkio.sectors_recursive", &b.SectorsRecursive},
		},
		{ // BFQ
			{"blkio.bfq.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.bfq.io_serviced_recursive", &b.IoServicedRecursive},
			{"blkio.bfq.io_queued_recursive", &b.IoQueuedRecursive},
			{"blkio.bfq.io_service_time_recursive", &b.IoServiceTimeRecursive},
			{"blkio.bfq.io_wait_time_recursive", &b.IoWaitTimeRecursive},
			{"blkio.bfq.io_merged_recursive", &b.IoMergedRecursive},
			{"blkio.bfq.time_recursive", &b.IoTimeRecursive},
			{"blkio.bfq.sectors_recursive", &b.SectorsRecursive},
		},
		{ // throttling layer
			{"blkio.throttle.io_service_bytes_recursive", &b.IoServiceBytesRecursive},
			{"blkio.throttle.io_serviced_recursive", &b.IoServicedRecursive},
		},
	}
	for _, set := range sets {
		found := false
		for _, s := range set {
			data, err := readFile(dir, s.file)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			entries, err := parseBlkioFile(data)
			if err != nil {
				return fmt.Errorf("parse %s/%s: %w", dir, s.file, err)
			}
			*s.dst = entries
			if len(entries) > 0 {
				found = true
			}
		}
		if found {
			return nil
		}
	}
	return nil
}
