package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// writeTree creates files (and their directories) below root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readTree(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recorder is a writeFunc over a fixture tree that logs every successful
// write as "<dir relative to root>/<file>=<value>" and can play the kernel
// refusing a write.
type recorder struct {
	mu     sync.Mutex
	root   string
	writes []string
	// create lets writes create files, where a test cannot know in advance
	// which files the kernel would provide.
	create bool
	// refuse returns the errno the kernel would answer, or nil.
	refuse func(dir, file, value string) error
}

func (r *recorder) write(dir, file, value string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		if errno := r.refuse(dir, file, value); errno == errSkip {
			return nil
		} else if errno != nil {
			return &WriteError{Path: filepath.Join(dir, file), Value: value, Err: errno}
		}
	}
	var err error
	if r.create {
		err = os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644)
		if err != nil {
			err = &WriteError{Path: filepath.Join(dir, file), Value: value, Err: err}
		}
	} else {
		err = writeFile(dir, file, value)
	}
	if err == nil {
		rel, _ := filepath.Rel(r.root, filepath.Join(dir, file))
		r.writes = append(r.writes, rel+"="+value)
	}
	return err
}

func (r *recorder) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.writes, "\n")
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = nil
}
