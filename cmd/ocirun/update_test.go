package main

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1048576": 1 << 20, "1m": 1 << 20, "1M": 1 << 20, "1mb": 1 << 20, "64k": 64 << 10,
		"2g": 2 << 30, "1t": 1 << 40, "-1": -1, "0": 0, "1.5k": 1536,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "-2", "12x", "abc"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) succeeded", in)
		}
	}
}

func TestPrintProcessLines(t *testing.T) {
	out := []byte("UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sleep\nroot 43 42 sh\n")
	r, w, _ := os.Pipe()
	stdout := os.Stdout
	os.Stdout = w
	err := printProcessLines(out, []int{42})
	w.Close()
	os.Stdout = stdout
	got, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "UID PID PPID CMD\nroot 42 1 sleep\n"; !bytes.Equal(got, []byte(want)) {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := printProcessLines([]byte("USER CMD\n"), nil); err == nil {
		t.Error("ps output without a PID column accepted")
	}
}
