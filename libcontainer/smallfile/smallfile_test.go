package smallfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 4097, 100000} {
		want := bytes.Repeat([]byte{'x'}, size)
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("size %d: got %d bytes, %v", size, len(got), err)
		}
		got, err = ReadRecord(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadRecord, size %d: got %d bytes, %v", size, len(got), err)
		}
	}
	// Files of /proc report size 0: they must be read to the end anyway,
	// also when they are made of many records and longer than a page.
	for _, read := range []func(string) ([]byte, error){Read, ReadRecord} {
		got, err := read("/proc/self/stat")
		if err != nil || len(got) == 0 || got[len(got)-1] != '\n' {
			t.Errorf("/proc/self/stat: %q, %v", got, err)
		}
	}
	want, err := os.ReadFile("/proc/kallsyms") // megabytes of short records
	if err != nil {
		t.Skip(err)
	}
	if got, err := Read("/proc/kallsyms"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("/proc/kallsyms: %d bytes, want %d (%v)", len(got), len(want), err)
	}
}

func TestReadErrors(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "missing"))
	var pe *os.PathError
	if !errors.Is(err, os.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(t.TempDir()); err == nil {
		t.Error("reading a directory succeeded")
	}
}
