// Package smallfile reads the small files the runtime reads over and over:
// state.json, /proc/<pid>/stat, cgroup files. os.ReadFile spends more than
// the read itself on such a file: on Linux every os.Open tries to register
// the fd with the Go poller (fcntl, a failing epoll_ctl) and ReadFile
// stats it for its size. "list" of 100 containers reads 300 of them.
package smallfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Read returns the contents of path. Errors are *os.PathError, as from
// os.ReadFile, so errors.Is(err, os.ErrNotExist) works.
func Read(path string) ([]byte, error) { return read(path, false) }

// ReadRecord is Read for a regular file or for a kernel file that holds one
// record (/proc/<pid>/stat, a cgroup file with one value): a read that
// returns less than it asked for is taken as the end, which spares the last
// read that returns 0. That holds for these files only: a regular file
// returns all it has up to the requested size, and a kernel file generated
// by one call returns all of it when it fits; a file of many records (a
// pid list, /proc/kallsyms) can come back short before its end.
func ReadRecord(path string) ([]byte, error) { return read(path, true) }

func read(path string, shortIsEnd bool) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 2048)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := cap(buf) - len(buf)
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if n == 0 || (shortIsEnd && n < want) {
			return buf, nil
		}
	}
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
