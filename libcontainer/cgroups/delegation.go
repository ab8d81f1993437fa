package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mkdirError is the error of creating the cgroup directory d. When the
// hierarchy refuses any new directory there (read-only, or not delegated
// to the runtime's user), it says so and what would fix it.
func mkdirError(d string, err error) error {
	if errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("create cgroup %s: %w: %s is not delegated to the runtime; delegate it to the runtime's user (systemd: Delegate=yes) or mount the cgroup hierarchy read-write", d, err, filepath.Dir(d))
	}
	return fmt.Errorf("create cgroup %s: %w", d, err)
}

// Delegated narrows m, the cgroups of a container made by a rootless
// runtime, to the hierarchies the runtime's user may write: a directory
// chowned to the user (as a v1 hierarchy delegated by hand) or a v2 subtree
// delegated by systemd. It returns nil when none is: the container then
// runs without a cgroup, as with runc. A limit in r whose controller is
// not delegated is an error naming the limit. linux.resources.devices is
// dropped from r: without root no device can be created or allowed, so
// the rules have nothing to guard (runc ignores them too).
func Delegated(m Manager, r *specs.LinuxResources) (Manager, error) {
	if r != nil {
		r.Devices = nil
	}
	var b *base
	switch m := m.(type) {
	case *v1Manager:
		b = &m.base
		if m.resources != nil {
			m.resources.Devices = nil
		}
	case *v2Manager:
		b = &m.base
	default:
		return nil, fmt.Errorf("rootless: cgroup driver %T cannot be narrowed to delegated cgroups", m)
	}
	kept := map[string]string{}
	for ctrl, dir := range b.paths {
		if delegatedDir(dir) {
			kept[ctrl] = dir
		}
	}
	for _, n := range append(v1Needs(r), unifiedNeeds(r)...) {
		ctrl := n.controller
		if _, unified := m.(*v2Manager); unified {
			ctrl = ""
		}
		if dir, ok := b.paths[ctrl]; ok && kept[ctrl] == "" {
			return nil, fmt.Errorf("%s: the cgroup %s is not delegated to uid %d (rootless): remove the limit, or delegate the cgroup to the user (chown its parent directory to the user; with systemd, Delegate=yes)", n.field, dir, os.Geteuid())
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	b.paths = kept
	return m, nil
}

func unifiedNeeds(r *specs.LinuxResources) []need {
	if r == nil || len(r.Unified) == 0 {
		return nil
	}
	return []need{{"", "linux.resources.unified"}}
}

// delegatedDir is writableCgroup; tests, which run as root, replace it.
var delegatedDir = writableCgroup

// writableCgroup reports whether the runtime's user may create dir (its
// nearest existing ancestor is writable) or, if it exists, move processes
// into it. access(2) answers for the real uid, which a rootless runtime
// has as its effective one too.
func writableCgroup(dir string) bool {
	if _, err := os.Stat(dir); err == nil {
		return unix.Access(dir, unix.W_OK) == nil && unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK) == nil
	}
	for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			return unix.Access(d, unix.W_OK) == nil
		}
	}
	return false
}
