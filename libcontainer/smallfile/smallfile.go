// Package smallfile opens and reads files without the Go poller: the
// runtime's small files (state.json, /proc/<pid>/stat, cgroup files), the
// configs it is given, the files it writes. os.Open registers every fd
// with the poller (fcntl calls, an epoll_ctl that fails for regular files,
// directories and procfs anyway), and the first registration sets the
// poller up: an epoll instance and an eventfd, which the scheduler then
// polls for the rest of the process. None of an ocirun command's files can
// use it. os.ReadFile also stats each file for its size; "list" of 100
// containers reads 300 of them.
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
	fd, err := open(path, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	// Most of these files are a few hundred bytes: the first read goes to
	// the stack, and only what it got is copied to the heap. A fresh
	// buffer per file would be mostly untouched heap, each page of it a
	// page fault ("list" reads 300 files). A file that fills it (a config)
	// gets room for a few kilobytes more.
	var first [512]byte
	n, err := readRetry(path, fd, first[:])
	if err != nil {
		return nil, err
	}
	size := n
	if n == len(first) {
		size = 8 * len(first)
	}
	buf := append(make([]byte, 0, size), first[:n]...)
	if n == 0 || (shortIsEnd && n < len(first)) {
		return buf, nil
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := cap(buf) - len(buf)
		n, err := readRetry(path, fd, buf[len(buf):cap(buf)])
		if err != nil {
			return nil, err
		}
		buf = buf[:len(buf)+n]
		if n == 0 || (shortIsEnd && n < want) {
			return buf, nil
		}
	}
}

func readRetry(path string, fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "read", Path: path, Err: err}
		}
		return n, nil
	}
}

// Open opens path like os.OpenFile, but the returned file is not
// registered with the Go poller (see the package documentation).
func Open(path string, flag int, perm uint32) (*os.File, error) {
	fd, err := open(path, flag, perm)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

func open(path string, flag int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, perm)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
