package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The hugetlb controller names its files after the page size on both
// versions: hugetlb.2MB.limit_in_bytes (v1), hugetlb.2MB.max (v2).

// Compiled on first use: most commands never look at hugetlb limits.
var pageSizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`) })

func setHugetlb(w writeFunc, dir string, limits []specs.LinuxHugepageLimit, v2 bool) error {
	limitSuffix, rsvdSuffix := ".limit_in_bytes", ".rsvd.limit_in_bytes"
	if v2 {
		limitSuffix, rsvdSuffix = ".max", ".rsvd.max"
	}
	for i, l := range limits {
		file := "hugetlb." + l.Pagesize + limitSuffix
		if !exists(dir, file) {
			return fmt.Errorf("linux.resources.hugepageLimits[%d]: page size %s is not supported here (%s does not exist)", i, l.Pagesize, filepath.Join(dir, file))
		}
		v := strconv.FormatUint(l.Limit, 10)
		if err := w(dir, file, v); err != nil {
			return err
		}
		// Reservation accounting (5.7+) limits at mmap time instead of
		// at fault time; the spec prefers it where the kernel has it.
		if rsvd := "hugetlb." + l.Pagesize + rsvdSuffix; exists(dir, rsvd) {
			if err := w(dir, rsvd, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// hugePageSizes lists the page sizes the cgroup has files for, found by the
// marker file of each size ("hugetlb.2MB.usage_in_bytes" on v1,
// "hugetlb.2MB.current" on v2).
func hugePageSizes(dir, marker string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "hugetlb.") || !strings.HasSuffix(n, marker) {
			continue
		}
		size := strings.TrimSuffix(strings.TrimPrefix(n, "hugetlb."), marker)
		if pageSizeRE().MatchString(size) {
			out = append(out, size)
		}
	}
	sort.Strings(out)
	return out, nil
}

func statV1Hugetlb(dir string, st *Stats) error {
	sizes, err := hugePageSizes(dir, ".usage_in_bytes")
	if err != nil {
		return err
	}
	for _, s := range sizes {
		var h HugetlbStat
		p := "hugetlb." + s + "."
		if h.Usage, err = readUint(dir, p+"usage_in_bytes"); err != nil {
			return err
		}
		if h.Max, err = readUint(dir, p+"max_usage_in_bytes"); err != nil {
			return err
		}
		if h.Failcnt, err = readUint(dir, p+"failcnt"); err != nil {
			return err
		}
		st.Hugetlb[s] = h
	}
	return nil
}

func statV2Hugetlb(dir string, st *Stats) error {
	sizes, err := hugePageSizes(dir, ".current")
	if err != nil {
		return err
	}
	for _, s := range sizes {
		var h HugetlbStat
		p := "hugetlb." + s + "."
		if h.Usage, err = readUint(dir, p+"current"); err != nil {
			return err
		}
		// v2 keeps no peak; "max" in .events counts allocations refused
		// by the limit, v1's failcnt.
		if ev, err := readKeyed(dir, p+"events"); err == nil {
			h.Failcnt = ev["max"]
		}
		st.Hugetlb[s] = h
	}
	return nil
}
