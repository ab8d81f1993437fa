package specconv

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzToConfig feeds arbitrary config.json bytes through decoding and
// translation: whatever the input, ToConfig must return a config or an
// error, never panic.
func FuzzToConfig(f *testing.F) {
	seed, err := json.Marshal(Example())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	rootless := Example()
	ExampleRootless(rootless)
	if seed, err = json.Marshal(rootless); err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	g, err := newGenerator()
	if err != nil {
		f.Fatal(err)
	}
	if seed, err = json.Marshal(g.Config); err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"ociVersion":"1.0.2-dev","linux":{"resources":{"devices":[{"allow":true,"major":-1}]},"seccomp":{"syscalls":[{}]}},"process":{"capabilities":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		o := testOpts()
		o.Warn = func(string) {}
		c, err := ToConfig(&s, o)
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
		if s.Process != nil {
			_, _ = ToProcess(s.Process, o)
		}
	})
}
