package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// writeFunc writes one value to one cgroup file. Managers call it through a
// field so tests can record the order of writes and play the kernel's
// refusals.
type writeFunc func(dir, file, value string) error

// WriteError is a cgroup file write the kernel refused.
type WriteError struct {
	Path  string
	Value string
	Err   error
	// Hint says why, when the runtime could find out.
	Hint string
}

func (e *WriteError) Error() string {
	s := fmt.Sprintf("set %s to %s: %v", e.Path, quoteValue(e.Value), e.Err)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *WriteError) Unwrap() error { return e.Err }

func quoteValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"") {
		return strconv.Quote(v)
	}
	return v
}

// withHint adds an explanation to a WriteError (other errors pass through).
func withHint(err error, hint string) error {
	var we *WriteError
	if hint != "" && errors.As(err, &we) && we.Hint == "" {
		we.Hint = hint
	}
	return err
}

// writeFile is the real writeFunc. It never creates files: a missing file
// means the kernel lacks the knob or the controller is not enabled, which
// must surface as an error, not as a stray regular file.
func writeFile(dir, file, value string) error {
	p := filepath.Join(dir, file)
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return &WriteError{Path: p, Value: value, Err: err}
	}
	defer unix.Close(fd)
	for {
		_, err = unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &WriteError{Path: p, Value: value, Err: err}
	}
	return nil
}

func readFile(dir, file string) (string, error) {
	b, err := smallfile.Read(filepath.Join(dir, file))
	return string(b), err
}

// readValue reads a file that holds one value (freezer.state): one read
// returns it all (smallfile.ReadRecord).
func readValue(dir, file string) (string, error) {
	b, err := smallfile.ReadRecord(filepath.Join(dir, file))
	return string(b), err
}

func exists(dir, file string) bool {
	_, err := os.Lstat(filepath.Join(dir, file))
	return err == nil
}

// vanished reports whether the cgroup directory itself is gone. The
// systemd driver's scope is removed by systemd as soon as its last process
// exits, which a SIGKILL to a frozen v2 cgroup brings about before the
// runtime thaws it: there is nothing left to thaw then.
func vanished(dir string) bool {
	_, err := os.Lstat(dir)
	return errors.Is(err, fs.ErrNotExist)
}

// parseUint reads a cgroup number; "max" (v2) is MaxUint64.
func parseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// v1 reports some unset values as negative numbers.
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// readOptionalUint is readUint that returns 0 for a file the kernel does
// not provide.
func readOptionalUint(dir, file string) (uint64, error) {
	v, err := readUint(dir, file)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return v, err
}

// parseKeyed reads "key value" lines (memory.stat, cpu.stat, memory.events,
// memory.oom_control).
func parseKeyed(s string) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("line %q is not \"key value\"", line)
		}
		v, err := parseUint(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		out[f[0]] = v
	}
	return out, nil
}

func readKeyed(dir, file string) (map[string]uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	m, err := parseKeyed(s)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, file), err)
	}
	return m, nil
}

// readKey reads one key of a keyed file; a missing key is an error.
func readKey(dir, file, key string) (uint64, error) {
	m, err := readKeyed(dir, file)
	if err != nil {
		return 0, err
	}
	v, ok := m[key]
	if !ok {
		return 0, fmt.Errorf("%s has no %q entry (kernel too old?)", filepath.Join(dir, file), key)
	}
	return v, nil
}

// base is what the v1 and v2 managers share: the directories, which of them
// Apply created, and the operations that only need directories.
type base struct {
	mu      sync.Mutex
	paths   map[string]string
	created []string
	write   writeFunc
}

// dirs returns the distinct cgroup directories (co-mounted v1 controllers
// share one), sorted.
func (b *base) dirs() []string {
	var out []string
	for _, p := range b.paths {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (b *base) SelfJoinFiles() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	v2 := b.paths[""]
	var files []string
	for _, dir := range b.dirs() {
		if dir == v2 {
			files = append(files, filepath.Join(dir, "cgroup.procs"))
		} else {
			files = append(files, filepath.Join(dir, "tasks"))
		}
	}
	return files
}

func (b *base) Path(controller string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.paths[controller]
}

// mkdirAll creates dir and its missing parents, remembering each directory
// it made. It returns the ones made by this call, parents first.
//
// A shared parent that is empty for a moment may be removed by whoever
// tidies up after another container (delete removes the empty parents it
// made): a mkdir that finds its parent gone walks the path again.
func (b *base) mkdirAll(dir string) ([]string, error) {
	var made []string
	for try := 0; ; try++ {
		more, err := b.mkdirAllOnce(dir)
		made = append(made, more...)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || try == 4 {
			return made, err
		}
	}
}

func (b *base) mkdirAllOnce(dir string) ([]string, error) {
	// The directory is made first, and its parents only when that fails
	// for want of one: the parent of a container's cgroup usually exists,
	// so this is one mkdir where a stat of each level used to come first.
	var made, below []string
	for d := dir; ; d = filepath.Dir(d) {
		err := os.Mkdir(d, 0o755)
		if err == nil {
			made = b.made(made, d)
			break
		}
		if errors.Is(err, fs.ErrExist) {
			break // ours from before, or someone else's: not made here
		}
		if !errors.Is(err, fs.ErrNotExist) || d == "/" || d == "." {
			return nil, mkdirError(d, err)
		}
		below = append(below, d)
	}
	for i := len(below) - 1; i >= 0; i-- {
		d := below[i]
		err := os.Mkdir(d, 0o755)
		if errors.Is(err, fs.ErrExist) {
			// Someone else (another container sharing a parent) was
			// faster: it is theirs.
			continue
		}
		if err != nil {
			return made, mkdirError(d, err)
		}
		made = b.made(made, d)
	}
	return made, nil
}

// made notes that d was created by this manager: appended to made, the
// result of this call, and remembered in b.created.
func (b *base) made(made []string, d string) []string {
	if !slices.Contains(b.created, d) {
		b.created = append(b.created, d)
	}
	return append(made, d)
}

// joinPid moves pid into the cgroup at dir.
func (b *base) joinPid(dir string, pid int) error {
	var err error
	// A process that is still being forked (TASK_NEW) is refused with
	// EINVAL for a moment.
	for try := 0; try < 5; try++ {
		err = b.write(dir, "cgroup.procs", strconv.Itoa(pid))
		if !errors.Is(err, unix.EINVAL) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("move pid %d into cgroup %s: the process no longer exists", pid, dir)
		}
		return fmt.Errorf("move pid %d into cgroup %s: %w", pid, dir, unwrapWrite(err))
	}
	return nil
}

func unwrapWrite(err error) error {
	var we *WriteError
	if errors.As(err, &we) {
		if we.Hint != "" {
			return fmt.Errorf("%w (%s)", we.Err, we.Hint)
		}
		return we.Err
	}
	return err
}

func (b *base) State(mode Mode, mountpoint string) State {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := State{Mode: mode, Paths: map[string]string{}, Mountpoint: mountpoint}
	for k, v := range b.paths {
		s.Paths[k] = v
	}
	s.Created = slices.Clone(b.created)
	return s
}

// getPids reads cgroup.procs in dir and every cgroup below it.
func getPids(dir string) ([]int, error) {
	seen := map[int]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // a sub-cgroup removed while we walk
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		pids, err := readProcs(p)
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, pid := range pids {
			seen[pid] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list processes of cgroup %s: %w", dir, err)
	}
	out := make([]int, 0, len(seen))
	for pid := range seen {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out, nil
}

func readProcs(dir string) ([]int, error) {
	s, err := readFile(dir, "cgroup.procs")
	if errors.Is(err, unix.EOPNOTSUPP) {
		// A threaded v2 cgroup lists its threads only.
		s, err = readFile(dir, "cgroup.threads")
	}
	if err != nil {
		return nil, err
	}
	var out []int
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		pid, err := strconv.Atoi(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a pid", filepath.Join(dir, "cgroup.procs"), t)
		}
		out = append(out, pid)
	}
	return out, nil
}

// rmdirRetryDelays are the waits between rmdir attempts of a busy cgroup:
// the last processes of a killed container leave it asynchronously.
var rmdirRetryDelays = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond,
}

func rmdir(dir string, retry bool) error {
	for i := 0; ; i++ {
		err := unix.Rmdir(dir)
		switch {
		case err == nil, err == unix.ENOENT:
			return nil
		case err == unix.EINTR:
			i--
			continue
		case err == unix.EBUSY && retry && i < len(rmdirRetryDelays):
			time.Sleep(rmdirRetryDelays[i])
			continue
		}
		return err
	}
}

// removeTree removes a cgroup and the sub-cgroups the container made below
// it, deepest first.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := rmdir(dir, true); err != nil {
		if errors.Is(err, unix.EBUSY) {
			if pids, perr := readProcs(dir); perr == nil && len(pids) > 0 {
				return fmt.Errorf("remove cgroup %s: %w (processes still in it: %v)", dir, err, pids)
			}
		}
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	return nil
}

// destroy removes the container's directories (the values of paths), with
// their sub-cgroups, and the parents Apply created, only if empty, since
// another container may have made its cgroup in them.
func (b *base) destroy() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	leaf := map[string]bool{}
	for _, p := range b.paths {
		leaf[p] = true
	}
	order := slices.Clone(b.created)
	// The container's own directories go even when they existed before
	// Apply (as runc's drivers remove them): the container was put in
	// them, and a cgroup left behind blocks the next one of that path.
	for _, p := range b.dirs() {
		if !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	// Deepest first; ties in reverse creation order.
	sort.SliceStable(order, func(i, j int) bool {
		return strings.Count(order[i], "/") > strings.Count(order[j], "/")
	})
	var errs []error
	var kept []string
	for _, d := range order {
		if leaf[d] {
			if err := removeTree(d); err != nil {
				errs = append(errs, err)
				kept = append(kept, d)
			}
			continue
		}
		err := rmdir(d, false)
		switch {
		case err == nil:
		case errors.Is(err, unix.EBUSY), errors.Is(err, unix.ENOTEMPTY), errors.Is(err, unix.EEXIST):
			// Shared with another cgroup now, or our own leaf could not be
			// removed (already reported): leave it.
			kept = append(kept, d)
		default:
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
			kept = append(kept, d)
		}
	}
	// Keep creation order for what is left, so a retry works the same.
	var left []string
	for _, d := range b.created {
		if slices.Contains(kept, d) {
			left = append(left, d)
		}
	}
	b.created = left
	return errors.Join(errs...)
}

// KillAll SIGKILLs every process in the cgroup directories of s and below
// them, over and over until none is left (a process may fork meanwhile),
// or timeout passes. It needs neither a freezer nor every directory: it is
// what clears a cgroup that a killed create left half made.
func KillAll(s State, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	dirs := slices.Sorted(maps.Values(s.Paths))
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var left []int
		for _, dir := range slices.Compact(dirs) {
			pids, err := getPids(dir)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return err
			}
			for _, pid := range pids {
				if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
					return fmt.Errorf("kill pid %d of cgroup %s: %w", pid, dir, err)
				}
			}
			left = append(left, pids...)
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v are still in the cgroup after %s", left, timeout)
		}
		time.Sleep(delay)
	}
}
