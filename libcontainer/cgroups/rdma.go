package cgroups

import (
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setRdma writes rdma.max, the same file on v1 and v2, one device a line
// (entries checked by checkCommon).
func setRdma(w writeFunc, dir string, rdma map[string]specs.LinuxRdma) error {
	devs := make([]string, 0, len(rdma))
	for d := range rdma {
		devs = append(devs, d)
	}
	sort.Strings(devs)
	for _, d := range devs {
		l := rdma[d]
		v := d
		if l.HcaHandles != nil {
			v += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			v += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if err := w(dir, "rdma.max", v); err != nil {
			return err
		}
	}
	return nil
}
