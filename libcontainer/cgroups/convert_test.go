package cgroups

import (
	"strings"
	"testing"
)

func TestCPUSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{
		0: 0, 1: 1, 2: 1, 3: 2, 10: 4, 100: 17, 512: 59, 1024: 100, 2048: 174,
		4096: 303, 100000: 4340, 262143: 10000, 262144: 10000, 1 << 30: 10000,
	} {
		if got := cpuSharesToWeight(shares); got != want {
			t.Errorf("cpuSharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	for w, want := range map[uint16]uint64{10: 1, 100: 910, 500: 4950, 1000: 10000} {
		if got, err := blkioWeightToIOWeight(w); err != nil || got != want {
			t.Errorf("blkioWeightToIOWeight(%d) = %d, %v; want %d", w, got, err, want)
		}
	}
	for _, w := range []uint16{0, 9, 1001} {
		if _, err := blkioWeightToIOWeight(w); err == nil {
			t.Errorf("blkioWeightToIOWeight(%d) accepted", w)
		}
	}
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func boolp(v bool) *bool   { return &v }

func TestMemorySwapV2(t *testing.T) {
	tests := []struct {
		swap, limit *int64
		want        string
		ok          bool
		err         string
	}{
		{nil, nil, "", false, ""},
		{nil, i64(100), "", false, ""},
		{i64(0), i64(100), "", false, ""},
		{nil, i64(-1), "max", true, ""},
		{i64(-1), i64(100), "max", true, ""},
		{i64(-1), nil, "max", true, ""},
		{i64(300), i64(100), "200", true, ""},
		{i64(100), i64(100), "0", true, ""},
		{i64(300), i64(-1), "300", true, ""},
		{i64(300), nil, "", false, "needs memory.limit"},
		{i64(50), i64(100), "", false, "less than memory.limit"},
		{i64(-5), i64(100), "", false, "not a limit"},
		{i64(300), i64(-7), "", false, "not a limit"},
	}
	for _, tc := range tests {
		got, ok, err := memorySwapV2(tc.swap, tc.limit)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("swap %v limit %v: err %v, want %q", deref(tc.swap), deref(tc.limit), err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || ok != tc.ok {
			t.Errorf("swap %v limit %v: %q %v %v, want %q %v", deref(tc.swap), deref(tc.limit), got, ok, err, tc.want, tc.ok)
		}
	}
}

func TestCPUMax(t *testing.T) {
	tests := []struct {
		quota  *int64
		period *uint64
		cur    string
		want   string
		ok     bool
	}{
		{nil, nil, "", "", false},
		{i64(0), u64(0), "", "", false},
		{i64(50000), nil, "", "50000", true},
		{i64(50000), u64(100000), "", "50000 100000", true},
		{i64(-1), u64(100000), "", "max 100000", true},
		{i64(-1), nil, "", "max", true},
		// Only the period: keep the quota in force.
		{nil, u64(200000), "25000 100000\n", "25000 200000", true},
		{nil, u64(200000), "max 100000\n", "max 200000", true},
		{nil, u64(200000), "", "max 200000", true},
	}
	for _, tc := range tests {
		got, ok := cpuMax(tc.quota, tc.period, tc.cur)
		if got != tc.want || ok != tc.ok {
			t.Errorf("cpuMax(%v, %v, %q) = %q, %v; want %q, %v", deref(tc.quota), deref(tc.period), tc.cur, got, ok, tc.want, tc.ok)
		}
	}
}

func TestThrottleRateV2(t *testing.T) {
	if throttleRateV2(0) != "max" || throttleRateV2(1048576) != "1048576" {
		t.Error("throttleRateV2")
	}
	if memoryValue(-1) != "max" || memoryValue(4096) != "4096" {
		t.Error("memoryValue")
	}
}
