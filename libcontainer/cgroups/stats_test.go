package cgroups

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseBlkioFile(t *testing.T) {
	in := "8:0 Read 1024\n8:0 Write 2048\n8:0 Sync 0\n8:16 Total 5\nTotal 3077\n"
	got, err := parseBlkioFile(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []BlkioEntry{
		{Major: 8, Minor: 0, Op: "Read", Value: 1024},
		{Major: 8, Minor: 0, Op: "Write", Value: 2048},
		{Major: 8, Minor: 0, Op: "Sync", Value: 0},
		{Major: 8, Minor: 16, Op: "Total", Value: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	// Files without operations (blkio.time_recursive).
	got, err = parseBlkioFile("8:0 1234\n")
	if err != nil || !reflect.DeepEqual(got, []BlkioEntry{{Major: 8, Value: 1234}}) {
		t.Errorf("no-op file: %+v %v", got, err)
	}
	if got, err := parseBlkioFile(""); err != nil || got != nil {
		t.Errorf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"8-0 Read 1\n", "8:0 Read x\n", "8:0 a b c\n"} {
		if _, err := parseBlkioFile(bad); err == nil {
			t.Errorf("parseBlkioFile(%q) accepted", bad)
		}
	}
}

func TestParseIOStat(t *testing.T) {
	in := "259:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0 cost.usage=3\n"
	got, err := parseIOStat(in)
	if err != nil {
		t.Fatal(err)
	}
	wantBytes := []BlkioEntry{
		{Major: 259, Op: "Read", Value: 4096}, {Major: 259, Op: "Write", Value: 8192},
		{Major: 8, Minor: 16, Op: "Read", Value: 1}, {Major: 8, Minor: 16, Op: "Write", Value: 0},
	}
	wantIOs := []BlkioEntry{
		{Major: 259, Op: "Read", Value: 1}, {Major: 259, Op: "Write", Value: 2},
		{Major: 8, Minor: 16, Op: "Read", Value: 1}, {Major: 8, Minor: 16, Op: "Write", Value: 0},
	}
	if !reflect.DeepEqual(got.IoServiceBytesRecursive, wantBytes) || !reflect.DeepEqual(got.IoServicedRecursive, wantIOs) {
		t.Errorf("got %+v", got)
	}
	if _, err := parseIOStat("259:0 rbytes\n"); err == nil {
		t.Error("accepted a key without value")
	}
}

func TestParsePSI(t *testing.T) {
	in := "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=99\n"
	got, err := parsePSI(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &PSIStats{
		Some: PSIData{Avg10: 1.5, Avg60: 0.25, Total: 12345},
		Full: PSIData{Avg10: 0.1, Total: 99},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"half avg10=1\n", "some avg10=x\n", "some avg10\n"} {
		if _, err := parsePSI(bad); err == nil {
			t.Errorf("parsePSI(%q) accepted", bad)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]uint16{
		"":         nil,
		"0":        {0},
		"0-3,7\n":  {0, 1, 2, 3, 7},
		"1,3-4,10": {1, 3, 4, 10},
	} {
		got, err := parseCPUList(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseCPUList(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"a", "3-1", "1-", "70000"} {
		if _, err := parseCPUList(bad); err == nil {
			t.Errorf("parseCPUList(%q) accepted", bad)
		}
	}
}

func TestParseKeyed(t *testing.T) {
	got, err := parseKeyed("cache 4096\nrss 8192\nhierarchical_memory_limit 9223372036854771712\n\n")
	if err != nil || got["cache"] != 4096 || got["hierarchical_memory_limit"] != 9223372036854771712 {
		t.Errorf("got %v %v", got, err)
	}
	if got, _ := parseKeyed("low 0\nmax max\n"); got["max"] != math.MaxUint64 {
		t.Errorf("max: %v", got)
	}
	if _, err := parseKeyed("a b c\n"); err == nil {
		t.Error("three fields accepted")
	}
	if v, err := parseUint("-1\n"); err != nil || v != 0 {
		t.Errorf("parseUint(-1) = %d, %v", v, err)
	}
}

func TestParseCpuacctUsageAll(t *testing.T) {
	u, s, err := parseCpuacctUsageAll("cpu user system\n0 100 200\n1 300 400\n")
	if err != nil || !reflect.DeepEqual(u, []uint64{100, 300}) || !reflect.DeepEqual(s, []uint64{200, 400}) {
		t.Errorf("%v %v %v", u, s, err)
	}
	if _, _, err := parseCpuacctUsageAll("0 1 2\n"); err == nil {
		t.Error("missing header accepted")
	}
}

// The JSON names are what `runc events --stats` prints.
func TestStatsJSONNames(t *testing.T) {
	st := newStats()
	st.CPU.Usage.Total = 1
	st.CPU.Throttling.ThrottledPeriods = 2
	st.Memory.Usage = MemoryEntry{Usage: 3, Limit: 4}
	st.Memory.KernelTCP.Failcnt = 0
	st.Pids.Current = 5
	st.Blkio.IoServiceBytesRecursive = []BlkioEntry{{Major: 8, Op: "Read", Value: 6}}
	st.Hugetlb["2MB"] = HugetlbStat{Usage: 7}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"cpu":{"usage":{"total":1,"kernel":0,"user":0},"throttling":{"throttledPeriods":2}}`,
		`"memory":{"usage":{"limit":4,"usage":3,"failcnt":0}`,
		`"kernelTCP":{"limit":0,"failcnt":0}`,
		`"pids":{"current":5}`,
		`"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":6}]}`,
		`"hugetlb":{"2MB":{"usage":7,"failcnt":0}}`,
		`"cpuset":{"cpu_exclusive":0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}
