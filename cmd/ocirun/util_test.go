package main

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]unix.Signal{
		"9": unix.SIGKILL, "KILL": unix.SIGKILL, "SIGKILL": unix.SIGKILL, "kill": unix.SIGKILL,
		"TERM": unix.SIGTERM, "15": unix.SIGTERM, "sigusr1": unix.SIGUSR1, "HUP": unix.SIGHUP, "0": 0,
	} {
		got, err := parseSignal(in)
		if err != nil || got != want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "65", "SIGFOO", "NOPE"} {
		if _, err := parseSignal(in); err == nil {
			t.Errorf("parseSignal(%q) succeeded", in)
		}
	}
}

func TestReorderArgs(t *testing.T) {
	app := newApp()
	cases := []struct{ in, want []string }{
		{[]string{"ocirun", "kill", "c1", "--all", "9"}, []string{"ocirun", "kill", "--all", "c1", "9"}},
		{[]string{"ocirun", "--root", "/r", "delete", "c1", "--force"}, []string{"ocirun", "--root", "/r", "delete", "--force", "c1"}},
		{[]string{"ocirun", "create", "c1", "--bundle", "/b", "--pid-file=/p"}, []string{"ocirun", "create", "--bundle", "/b", "--pid-file=/p", "c1"}},
		// exec keeps the container's command line as it is.
		{[]string{"ocirun", "exec", "c1", "ls", "-l"}, []string{"ocirun", "exec", "c1", "ls", "-l"}},
		// ps passes what follows the id on to ps.
		{[]string{"ocirun", "ps", "c1", "-e", "-x"}, []string{"ocirun", "ps", "c1", "-e", "-x"}},
		{[]string{"ocirun", "ps", "--format", "json", "c1"}, []string{"ocirun", "ps", "--format", "json", "c1"}},
		{[]string{"ocirun", "list", "-q"}, []string{"ocirun", "list", "-q"}},
		{[]string{"ocirun", "kill", "c1", "--", "-9"}, []string{"ocirun", "kill", "c1", "--", "-9"}},
	}
	for _, c := range cases {
		if got := reorderArgs(app, c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("reorderArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckPreservedFds(t *testing.T) {
	if err := checkPreservedFds([]string{"ocirun", "run", "c1"}); err != nil {
		t.Errorf("no fds asked for: %v", err)
	}
	if err := checkPreservedFds([]string{"ocirun", "create", "--preserve-fds", "1000", "c1"}); err == nil {
		t.Error("1000 preserved fds accepted although they are not open")
	}
	if err := checkPreservedFds([]string{"ocirun", "create", "--preserve-fds=x", "c1"}); err == nil {
		t.Error("a non-number accepted")
	}
}
