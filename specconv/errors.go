package specconv

import (
	"errors"
	"fmt"
	"strconv"
)

// Error is a problem with one field of config.json (or of a process.json
// given to exec).
type Error struct {
	// Path is the field's JSON path, e.g. "linux.namespaces[2].type".
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// fieldErr builds an *Error for path with a formatted message.
func fieldErr(path, format string, args ...any) error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// unsupported is the error for a field ocirun deliberately does not
// implement.
func unsupported(path, why string) error {
	if why == "" {
		return &Error{Path: path, Err: errors.New("not supported by ocirun")}
	}
	return &Error{Path: path, Err: errors.New("not supported by ocirun: " + why)}
}

// idx appends an array index to a JSON path.
func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// key appends a map key to a JSON path.
func key(path, k string) string { return path + "[" + strconv.Quote(k) + "]" }
