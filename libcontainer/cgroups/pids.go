package cgroups

import (
	"strconv"
	"strings"
)

// The pids controller has the same files on v1 and v2.

// setPids writes pids.max. The spec makes 0 a real limit and any negative
// value "no limit".
func setPids(w writeFunc, dir string, limit int64) error {
	v := "max"
	if limit >= 0 {
		v = strconv.FormatInt(limit, 10)
	}
	return w(dir, "pids.max", v)
}

func statPids(dir string, st *Stats) error {
	cur, err := readUint(dir, "pids.current")
	if err != nil {
		return err
	}
	st.Pids.Current = cur
	max, err := readFile(dir, "pids.max")
	if err != nil {
		return err
	}
	if strings.TrimSpace(max) == "max" {
		st.Pids.Limit = 0
		return nil
	}
	st.Pids.Limit, err = readUint(dir, "pids.max")
	return err
}
