// Package libcontainer creates and manages containers: the state store under
// --root, the lifecycle operations of runtime-spec (create, start, state,
// kill, delete) and exec, and the runtime's side of the init protocol
// (package initproto). It never runs inside a container itself; the init
// stages live in packages nsenter and containerinit.
package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// Status is a container's runtime-spec status.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
	// Damaged is an entry whose state cannot be read (empty, truncated or
	// garbage after a crash or a full disk). Only "delete --force" acts on
	// it: it finds what is left through the container's cgroup.
	Damaged Status = "damaged"
)

// ErrNotExist is wrapped by errors about a container id that has no state.
// Its text is what containerd and podman look for.
var ErrNotExist = errors.New("does not exist")

// ErrNotRunning is wrapped when a signal is sent to a stopped container;
// containerd treats "container not running" as "already finished".
var ErrNotRunning = errors.New("container not running")

const (
	stateFile  = "state.json"
	configFile = "config.json"
	startSock  = "start.sock"
	cgroupFile = "cgroup.json"
	// initFile records the init of a container without a cgroup (rootless,
	// none delegated), written beside state.json: when that is damaged,
	// it is all that delete --force has to find the container's
	// processes by.
	initFile = "init.json"
	// seccompFile holds the compiled seccomp filter for exec (see
	// Container.seccompProgram).
	seccompFile = "seccomp.bpf"
	maxIDBytes  = 255 // the id is a directory name
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_+\-.]+$`)

// ValidateID checks a container id the way runc does (letters, digits and
// "_+-." only), and refuses "." and "..", which would name the state root
// or its parent.
func ValidateID(id string) error {
	switch {
	case id == "":
		return errors.New("container id must not be empty")
	case len(id) > maxIDBytes:
		return fmt.Errorf("invalid container id %.32q...: longer than %d bytes", id, maxIDBytes)
	case id == "." || id == ".." || !idPattern.MatchString(id):
		return fmt.Errorf("invalid container id %q: only letters, digits and _+-. are allowed", id)
	}
	return nil
}

// State is what the runtime keeps in <root>/<id>/state.json.
type State struct {
	// Creating is set from the first record create writes, before it
	// makes anything on the host, until the container is built. An entry
	// still marked so after its create ended (no one holds the lock) is
	// what a killed create left: delete removes it.
	Creating bool      `json:"creating,omitempty"`
	ID       string    `json:"id"`
	Bundle   string    `json:"bundle"`
	Created  time.Time `json:"created"`
	// InitPid is the host pid of the container's init; InitStartTime is its
	// start time in clock ticks (/proc/<pid>/stat field 22), which tells the
	// init apart from an unrelated process that reuses the pid.
	InitPid       int               `json:"init_pid"`
	InitStartTime uint64            `json:"init_start_time"`
	Rootfs        string            `json:"rootfs"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	// Config is kept in a file of its own (configFile) and read only by
	// the commands that need it: state and list read just this small
	// state, once per container.
	Config *configs.Config `json:"-"`
	// Freezer is all a status check needs of the cgroup: whether the
	// container is paused. nil if the container never got a cgroup.
	Freezer *cgroups.Freezer `json:"freezer,omitempty"`
	// CgroupState is the cgroup manager's own state, kept in a file of its
	// own (cgroupFile) because it is most of the state's bytes and only
	// the commands that act on the cgroup need it; loaded on first use.
	CgroupState *cgroups.State `json:"-"`
}

// Store is the state root given by --root: one directory per container.
type Store struct {
	Root string
	// Rootless says the runtime lacks root on the host (runc's
	// --rootless): containers get a cgroup only where one is delegated
	// to the runtime's user (see cgroups.Delegated), and devices are
	// bound. Create reads it; other commands need not set it.
	Rootless bool
}

func (s *Store) dir(id string) string { return filepath.Join(s.Root, id) }

// List returns the ids of all containers, sorted.
func (s *Store) List() ([]string, error) {
	root, err := smallfile.Open(s.Root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state root %s: %w", s.Root, err)
	}
	entries, err := root.ReadDir(-1)
	root.Close()
	if err != nil {
		return nil, fmt.Errorf("read state root %s: %w", s.Root, err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// lockedDir is a container's state directory, held with an exclusive flock
// so that concurrent commands on one id run one after the other.
type lockedDir struct {
	path string
	f    *os.File
}

func (d *lockedDir) unlock() {
	if d != nil && d.f != nil {
		d.f.Close() // closing drops the flock
		d.f = nil
	}
}

func lockDir(path string) (*lockedDir, error) { return lockDirHow(path, unix.LOCK_EX) }

// lockDirHow opens and flocks path; how is LOCK_EX, maybe with LOCK_NB.
// The lock is on the directory's inode: a command that got it on a
// directory that was removed and made anew meanwhile holds nothing, which
// sameDir tells.
func lockDirHow(path string, how int) (*lockedDir, error) {
	f, err := smallfile.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &lockedDir{path: path, f: f}, nil
}

// sameDir reports whether d.path still names the directory d has locked.
func (d *lockedDir) sameDir() bool {
	var held, now unix.Stat_t
	if unix.Fstat(int(d.f.Fd()), &held) != nil || unix.Lstat(d.path, &now) != nil {
		return false
	}
	return held.Dev == now.Dev && held.Ino == now.Ino
}

// newDir makes the state directory of a new container and locks it. A
// directory of that id without a state.json, once its lock is free, is
// what a command killed before its first record left: it holds nothing
// (create records the container before it makes anything on the host), so
// it is removed and the id reused.
func (s *Store) newDir(id string) (*lockedDir, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return nil, stateRootErr(s.Root, fmt.Errorf("create state root %s: %w", s.Root, err))
	}
	p := s.dir(id)
	exists := fmt.Errorf("container with id %q already exists", id)
	for {
		err := os.Mkdir(p, 0o700)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, stateRootErr(s.Root, fmt.Errorf("create state directory %s: %w", p, err))
		}
		made := err == nil
		if !made && hasState(p) {
			return nil, exists
		}
		d, err := lockDir(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed as stale by another create: try again
		}
		if err != nil {
			return nil, fmt.Errorf("open state directory %s: %w", p, err)
		}
		if !d.sameDir() {
			d.unlock()
			continue
		}
		if made {
			return d, nil
		}
		if hasState(p) {
			d.unlock()
			return nil, exists
		}
		// Stale, and ours to clear while we hold its lock.
		err = os.RemoveAll(p)
		d.unlock()
		if err != nil {
			return nil, fmt.Errorf("remove stale state directory %s: %w", p, err)
		}
	}
}

func hasState(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, stateFile))
	return err == nil
}

// load reads a container's state; with lock set it first takes the
// container's lock, which the caller releases with Container.Unlock.
//
// An entry whose state.json is missing, empty or unparseable is returned
// as a Damaged container (Container.Damaged says why) when no other
// command holds it: a create or delete that still runs is not damage, and
// is reported as ErrNotExist, as before it began or after it ended.
func (s *Store) load(id string, lock bool) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	p := s.dir(id)
	c := &Container{store: s, dir: p}
	if lock {
		for {
			d, err := lockDir(p)
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
			}
			if err != nil {
				return nil, fmt.Errorf("open state directory %s: %w", p, err)
			}
			if d.sameDir() {
				c.lock = d
				break
			}
			d.unlock() // deleted, maybe made anew, while we waited
		}
	}
	b, err := smallfile.ReadRecord(filepath.Join(p, stateFile))
	if err == nil {
		err = jsonfast.Unmarshal(b, (*stateJSON)(&c.state), (*stateJSON)(&c.state))
		if err == nil && c.state.ID != id {
			err = fmt.Errorf("it names container %q", c.state.ID)
		}
		if err != nil {
			err = fmt.Errorf("parse %s: %w", filepath.Join(p, stateFile), err)
		}
	}
	if err == nil {
		return c, nil
	}
	// Missing or unreadable: is some command still working on it?
	if c.lock == nil {
		d, lerr := lockDirHow(p, unix.LOCK_EX|unix.LOCK_NB)
		if lerr != nil {
			return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
		}
		defer d.unlock()
		if !d.sameDir() {
			return nil, fmt.Errorf("container %q %w", id, ErrNotExist)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%s is missing", filepath.Join(p, stateFile))
	}
	c.state = State{ID: id}
	if fi, serr := os.Stat(p); serr == nil {
		c.state.Created = fi.ModTime().UTC() // the best guess left
	}
	c.damaged = err
	return c, nil
}

// Load returns the container with this id, locked for a state change.
func (s *Store) Load(id string) (*Container, error) { return s.load(id, true) }

// Peek returns the container without locking it, for read-only commands.
func (s *Store) Peek(id string) (*Container, error) { return s.load(id, false) }

// writeConfig stores the container's config beside its state. Its
// generated encoder spares create encoding/json's cold start for the
// config's types (package jsonfast), as statejson.go's do for the state's.
func writeConfig(dir string, cfg *configs.Config) error {
	return writeEncoded(dir, configFile, "config", cfg)
}

// writeEncoded encodes v with its generated encoder into the file name of
// the state directory dir; what names v in errors. v is asserted, not
// typed, as a jsonfast.Encoder: go generate first builds this package with
// easyjson's stubs, whose encoders take easyjson's own writer.
func writeEncoded(dir, name, what string, v any) error {
	enc, ok := v.(jsonfast.Encoder)
	if !ok {
		return fmt.Errorf("encode %s: %T has no generated encoder; run go generate ./libcontainer", what, v)
	}
	b, err := jsonfast.Encode(enc)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	return writeFileAtomic(filepath.Join(dir, name), b, 0o600)
}

// writeCgroupState stores where the container's cgroups are (and which of
// their directories it may create), before the first of them is made.
func writeCgroupState(dir string, st *cgroups.State) error {
	return writeEncoded(dir, cgroupFile, "cgroup state", (*cgroupStateJSON)(st))
}

func writeInitRecord(dir string, pid int, start uint64) error {
	return writeEncoded(dir, initFile, "init record", &initRecord{pid, start})
}

// writeState replaces state.json atomically.
func writeState(dir string, st *State) error {
	return writeEncoded(dir, stateFile, "state", (*stateJSON)(st))
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so readers, and the file after the runtime is killed at
// any point, show the old content or the new, never a part.
//
// Nothing is fsynced: the state describes processes that a power loss
// ends too, and a file that a power loss left empty or torn is a damaged
// entry, which delete --force clears (tests/faults). A sync per write cost
// create several disk flushes where the state root is not a tmpfs.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := createTemp(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm) // exactly perm, whatever the umask
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	// unix.Rename, not os.Rename, which first stats the target to refuse
	// a directory there: rename(2) refuses one itself (EISDIR).
	if err == nil {
		err = unix.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// createTemp creates a new file beside path, named after it, like
// os.CreateTemp but without the Go poller (package smallfile).
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Dir(path), "."+filepath.Base(path)+"."
	for try := 0; ; try++ {
		name := filepath.Join(dir, base+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := smallfile.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && try < 100 {
			continue
		}
		return f, err
	}
}

// WritePidFile writes pid to path atomically, as engines expect.
func WritePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return writeFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644)
}

// processStartTime returns field 22 of /proc/<pid>/stat and whether the
// process is a zombie (exited, not yet reaped).
func processStartTime(pid int) (start uint64, zombie bool, err error) {
	b, err := smallfile.ReadRecord("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	start, zombie, err = parseStat(b)
	if err != nil {
		return 0, false, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return start, zombie, nil
}

// parseStat reads the state and start time of a /proc/<pid>/stat line.
func parseStat(b []byte) (start uint64, zombie bool, err error) {
	// The command name (field 2) may contain spaces and parentheses: the
	// fields after it start after its last ')'. Only fields 3 (state) and
	// 22 (start time) are needed; list reads this once per container, so
	// the fields are not split into strings.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, errors.New("no command name")
	}
	var state, startField []byte
	n := 2
	for rest := b[i+1:]; len(rest) > 0 && startField == nil; {
		var f []byte
		rest = bytes.TrimLeft(rest, " \n")
		if j := bytes.IndexAny(rest, " \n"); j >= 0 {
			f, rest = rest[:j], rest[j:]
		} else {
			f, rest = rest, nil
		}
		if len(f) == 0 {
			break
		}
		n++
		switch n {
		case 3:
			state = f
		case 22:
			startField = f
		}
	}
	if startField == nil {
		return 0, false, fmt.Errorf("%d fields", n)
	}
	start, err = strconv.ParseUint(string(startField), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("start time: %w", err)
	}
	return start, string(state) == "Z" || string(state) == "X", nil
}
