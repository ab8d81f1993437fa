package libcontainer

import (
	"strconv"
	"strings"
	"time"

	"github.com/ocirun/ocirun/libcontainer/initproto"
)

// Timings records how long each phase of a command takes, on one clock
// (this process's monotonic clock). The init's phases are not timed inside
// the init: they are the intervals between the sync messages the runtime
// receives, so the init does and sends nothing more for them. A nil
// *Timings records nothing, so with timings off the start path pays one
// nil check per phase.
type Timings struct {
	start, last time.Time
	names       []string
	durations   []time.Duration
	seen        map[string]bool
}

// Timer is the command's Timings, or nil when timings are off.
var Timer *Timings

// NewTimings starts timing at start, the command's beginning.
func NewTimings(start time.Time) *Timings {
	return &Timings{start: start, last: start, seen: map[string]bool{}}
}

// Mark ends the phase called name now; the next phase starts now.
func (t *Timings) Mark(name string) {
	if t == nil {
		return
	}
	now := time.Now()
	t.names = append(t.names, name)
	t.durations = append(t.durations, now.Sub(t.last))
	t.seen[name] = true
	t.last = now
}

// initMessage ends the phase of the container init that the arrival of
// message m closes. Without hooks, the init sends nothing between building
// the rootfs and compiling seccomp, so one interval covers both.
func (t *Timings) initMessage(m initproto.MsgType) {
	if t == nil {
		return
	}
	switch m {
	case initproto.MsgRuntimeHooks:
		t.Mark("rootfs")
	case initproto.MsgSeccompProgram:
		if t.seen["rootfs"] {
			t.Mark("pivot_root, seccomp")
		} else {
			t.Mark("rootfs, seccomp")
		}
	case initproto.MsgReady:
		switch {
		case t.seen["rootfs, seccomp"] || t.seen["pivot_root, seccomp"] || t.seen["built"]:
			t.Mark("init finish")
		case t.seen["rootfs"]:
			t.Mark("pivot_root, init finish")
		default:
			t.Mark("rootfs, init finish")
		}
	}
}

// String lists the phases in order with their durations, and the total.
func (t *Timings) String() string {
	var b strings.Builder
	for i, n := range t.names {
		b.WriteString(n + "=" + ms(t.durations[i]) + " ")
	}
	b.WriteString("total=" + ms(t.last.Sub(t.start)))
	return b.String()
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64) + "ms"
}
