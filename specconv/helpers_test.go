package specconv

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-tools/generate"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

// newGen returns runtime-tools' default Linux spec: a realistic config with
// mounts, namespaces, capabilities and Docker's default seccomp profile.
func newGen(t *testing.T) *generate.Generator {
	t.Helper()
	g, err := generate.New("linux")
	if err != nil {
		t.Fatal(err)
	}
	return &g
}

func testOpts() Options {
	return Options{Bundle: "/run/bundle", LastCap: 40}
}

// collectWarnings returns options whose warnings land in *w.
func collectWarnings(w *[]string) Options {
	o := testOpts()
	o.Warn = func(s string) { *w = append(*w, s) }
	return o
}

func ptr[T any](v T) *T { return &v }

// checkFieldErr asserts err is an *Error at path whose text contains msg.
func checkFieldErr(t *testing.T, err error, path, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s: ...%s...", path, msg)
	}
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %q is not a *specconv.Error", err)
	}
	if fe.Path != path {
		t.Fatalf("error %q has path %q; want %q", err, fe.Path, path)
	}
	if !strings.HasPrefix(err.Error(), path+": ") {
		t.Fatalf("error %q does not start with its JSON path %q", err, path)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not contain %q", err, msg)
	}
}

func mustConvert(t *testing.T, s *specs.Spec, o Options) *configs.Config {
	t.Helper()
	c, err := ToConfig(s, o)
	if err != nil {
		t.Fatalf("ToConfig: %v", err)
	}
	return c
}

func newGenerator() (*generate.Generator, error) {
	g, err := generate.New("linux")
	return &g, err
}
