package libcontainer

import (
	"regexp"
	"testing"
	"time"

	"github.com/ocirun/ocirun/libcontainer/initproto"
)

func TestTimingsNilRecordsNothing(t *testing.T) {
	var tm *Timings
	tm.Mark("cgroup")
	tm.initMessage(initproto.MsgReady)
}

func TestTimingsPhasesFromInitMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		msgs []initproto.MsgType
		want string
	}{
		{"no hooks, no seccomp", []initproto.MsgType{initproto.MsgReady}, `^rootfs, init finish=\S+ total=\S+$`},
		{"seccomp", []initproto.MsgType{initproto.MsgSeccompProgram, initproto.MsgReady}, `^rootfs, seccomp=\S+ init finish=\S+ total=\S+$`},
		{"hooks and seccomp", []initproto.MsgType{initproto.MsgRuntimeHooks, initproto.MsgSeccompProgram, initproto.MsgReady}, `^rootfs=\S+ pivot_root, seccomp=\S+ init finish=\S+ total=\S+$`},
		{"hooks", []initproto.MsgType{initproto.MsgRuntimeHooks, initproto.MsgReady}, `^rootfs=\S+ pivot_root, init finish=\S+ total=\S+$`},
	} {
		tm := NewTimings(time.Now())
		for _, m := range tc.msgs {
			tm.initMessage(m)
		}
		if got := tm.String(); !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("%s: %q does not match %s", tc.name, got, tc.want)
		}
	}
}

func TestTimingsTotalIsTheSumOfPhases(t *testing.T) {
	start := time.Now()
	tm := NewTimings(start)
	tm.Mark("a")
	tm.Mark("b")
	var sum time.Duration
	for _, d := range tm.durations {
		sum += d
	}
	if sum != tm.last.Sub(start) {
		t.Errorf("phases add up to %v, total is %v", sum, tm.last.Sub(start))
	}
}
