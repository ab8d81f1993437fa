package libcontainer

import (
	"strings"
	"testing"
	"time"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/jsonfast/jsonfasttest"
)

const regenerateState = "go generate ./libcontainer"

func TestStateCodersKnowEveryField(t *testing.T) {
	jsonfasttest.EncodesEveryField(t, func(s *stateJSON) jsonfast.Encoder { return s }, regenerateState)
	jsonfasttest.KnowsEveryField(t, func(s *stateJSON) jsonfast.Decoder { return s }, regenerateState)
	jsonfasttest.EncodesEveryField(t, func(s *cgroupStateJSON) jsonfast.Encoder { return s }, regenerateState)
	jsonfasttest.KnowsEveryField(t, func(s *cgroupStateJSON) jsonfast.Decoder { return s }, regenerateState)
	jsonfasttest.EncodesEveryField(t, func(r *initRecord) jsonfast.Encoder { return r }, regenerateState)
	jsonfasttest.KnowsEveryField(t, func(r *initRecord) jsonfast.Decoder { return r }, regenerateState)
}

// A state as create records it, and a cgroup state of each mode, encode to
// what encoding/json reads back whole, and decode fast to the same value.
func TestStateEncodeAgrees(t *testing.T) {
	st := stateJSON{
		Creating: true, ID: "c1", Bundle: "/b", Rootfs: "/b/rootfs",
		Created:     time.Date(2026, 12, 5, 15, 4, 5, 123456789, time.UTC),
		InitPid:     42,
		Annotations: map[string]string{"a": "1", "b": "<&>", "c": "\u2028"},
		Freezer:     &cgroups.Freezer{Mode: cgroups.Legacy, Dir: "/sys/fs/cgroup/freezer/x"},
	}
	jsonfasttest.EncodeAgrees(t, &st, func(s *stateJSON) jsonfast.Encoder { return s })
	data, err := jsonfast.Encode(&st)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonfasttest.Agree(t, data, func(s *stateJSON) jsonfast.Decoder { return s }) {
		t.Fatalf("the generated decoder refuses what the generated encoder wrote: %s", data)
	}
	for _, mode := range []cgroups.Mode{cgroups.Legacy, cgroups.Hybrid, cgroups.Unified} {
		cs := cgroupStateJSON{
			Mode:    mode,
			Paths:   map[string]string{"": "/sys/fs/cgroup/x", "memory": "/sys/fs/cgroup/memory/x"},
			Created: []string{"/sys/fs/cgroup/x"},
		}
		jsonfasttest.EncodeAgrees(t, &cs, func(s *cgroupStateJSON) jsonfast.Encoder { return s })
		data, err := jsonfast.Encode(&cs)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonfasttest.Agree(t, data, func(s *cgroupStateJSON) jsonfast.Decoder { return s }) {
			t.Fatalf("the generated decoder refuses what the generated encoder wrote: %s", data)
		}
	}
	// A mode the encoder cannot name fails, as encoding/json fails.
	if _, err := jsonfast.Encode(&cgroupStateJSON{Mode: cgroups.Mode(99)}); err == nil {
		t.Error("an unknown cgroup mode encoded")
	}
}

// A type without a generated encoder is an error that names the fix, not
// a file written some other way.
func TestWriteEncodedWithoutEncoder(t *testing.T) {
	err := writeEncoded(t.TempDir(), "x.json", "thing", &struct{ A int }{1})
	if err == nil || !strings.Contains(err.Error(), "go generate ./libcontainer") {
		t.Fatalf("error %v, want one naming go generate", err)
	}
}
