// Package systemd is the systemd cgroup driver (--systemd-cgroup): the
// container's cgroup is a transient scope unit that systemd creates, in the
// slice linux.cgroupsPath names ("slice:prefix:name"), through systemd's
// D-Bus API. The unit carries the container's first process, Delegate=yes
// (the container may manage the cgroups below its own),
// DefaultDependencies=no and the resources systemd has properties for
// (cgroups.UnitProperties); every resource is then also written to the
// unit's cgroup by the cgroupfs managers of package cgroups, which is how
// what systemd cannot express is applied.
//
// The D-Bus calls are made by a helper binary, ocirun-systemd (package
// sdbus), installed next to ocirun: a Go program pays at start-up for the
// initialisation of every package linked into it, and the D-Bus packages
// would add it to every command, where only a container of this driver
// needs them. The runtime sends the helper one Request as JSON on its
// stdin; the helper exits 0 when systemd has finished the job, or prints
// one line naming the unit (and the property systemd refused) and exits 1.
package systemd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// HelperBinary is the file name of the helper that talks to systemd.
const HelperBinary = "ocirun-systemd"

// Operations of a Request.
const (
	// OpStart starts the scope with Pid as its first process and waits
	// for the job.
	OpStart = "start"
	// OpSet sets the unit properties of Resources.
	OpSet = "set"
	// OpStop stops the unit, waits, and resets it if it failed.
	OpStop = "stop"
)

// AnnotationPrefix marks an annotation that sets a property of the
// container's unit: "org.systemd.property.TimeoutStopSec": "30" (the value
// in GVariant text form, as busctl takes it: 'text', uint64 1, true, ...).
const AnnotationPrefix = "org.systemd.property."

// Request is what the runtime asks of the helper.
type Request struct {
	Op    string       `json:"op"`
	Unit  string       `json:"unit"`
	Slice string       `json:"slice,omitempty"`
	Pid   int          `json:"pid,omitempty"`
	Mode  cgroups.Mode `json:"mode"`
	// Resources are translated into unit properties by the helper.
	Resources *specs.LinuxResources `json:"resources,omitempty"`
	// Annotations are the container's; the org.systemd.property.* ones
	// set unit properties on start.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Manager is the container's scope unit and, through the embedded cgroupfs
// manager, its cgroup directories.
type Manager struct {
	cgroups.Manager
	unit   cgroups.Unit
	mode   cgroups.Mode
	helper string
	// started is set once the unit exists; until then Apply starts it.
	started bool
	// resources and annotations are the container's, for the start.
	resources   *specs.LinuxResources
	annotations map[string]string
	// startedWith are the resources the unit was started with, so that
	// the Set that follows does not send the same properties again.
	startedWith *specs.LinuxResources
}

// New resolves the container's unit and cgroup directories. Nothing is
// created and systemd is not contacted until Apply. helper is the path of
// HelperBinary.
func New(cg *configs.Cgroup, containerID string, annotations map[string]string, helper string) (*Manager, error) {
	if fi, err := os.Lstat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return nil, errors.New("the systemd cgroup driver (--systemd-cgroup) needs systemd as init, and /run/systemd/system does not exist")
	}
	u, err := cgroups.ParseUnit(cg.Path, containerID)
	if err != nil {
		return nil, err
	}
	// The unit's directories, as an absolute cgroupsPath: in each v1
	// hierarchy (systemd creates those of the controllers it manages, the
	// cgroupfs manager the others) or in the one v2 tree.
	fs, err := cgroups.New(&configs.Cgroup{Path: u.CgroupPath(), Resources: cg.Resources}, containerID)
	if err != nil {
		return nil, err
	}
	return &Manager{
		Manager: fs, unit: u, mode: fs.State().Mode, helper: helper,
		resources: cg.Resources, annotations: annotations,
	}, nil
}

// Load rebuilds the manager of a container whose unit exists.
func Load(s cgroups.State, helper string) (*Manager, error) {
	fs, err := cgroups.Load(s)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(s.Unit, ".scope") {
		return nil, fmt.Errorf("load cgroup state: %q is not a scope unit", s.Unit)
	}
	return &Manager{Manager: fs, unit: cgroups.Unit{Name: s.Unit}, mode: s.Mode, helper: helper, started: true}, nil
}

// State records the unit beside the directories.
func (m *Manager) State() cgroups.State {
	s := m.Manager.State()
	s.Unit = m.unit.Name
	return s
}

// Apply starts the unit with pid as its first process, the first time;
// later (a loaded manager) it moves pid into the unit's cgroup like the
// cgroupfs manager does. The directories systemd does not create (v1
// controllers it does not manage) are made in both cases.
func (m *Manager) Apply(pid int) error {
	if m.started {
		return m.Manager.Apply(pid)
	}
	if pid <= 0 {
		return fmt.Errorf("systemd unit %s: a scope needs a first process", m.unit.Name)
	}
	err := m.call(&Request{
		Op: OpStart, Unit: m.unit.Name, Slice: m.unit.Slice, Pid: pid, Mode: m.mode,
		Resources: m.resources, Annotations: m.annotations,
	})
	if err != nil {
		return err
	}
	m.started, m.startedWith = true, m.resources
	return m.Manager.Apply(0)
}

// Set writes r to the unit's properties, then to the cgroup files.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if r != m.startedWith {
		if err := m.call(&Request{Op: OpSet, Unit: m.unit.Name, Mode: m.mode, Resources: r}); err != nil {
			return err
		}
	}
	m.startedWith = nil
	return m.Manager.Set(r)
}

// Destroy stops the unit (systemd removes the cgroups it made), then
// removes what the cgroupfs manager made.
func (m *Manager) Destroy() error {
	var errs []error
	if err := m.call(&Request{Op: OpStop, Unit: m.unit.Name, Mode: m.mode}); err != nil {
		errs = append(errs, err)
	}
	if err := m.Manager.Destroy(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// call runs the helper with req.
func (m *Manager) call(req *Request) error {
	in, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("systemd unit %s: encode request: %w", req.Unit, err)
	}
	cmd := exec.Command(m.helper)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:]
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && msg != "":
		return errors.New(msg)
	default:
		return fmt.Errorf("systemd unit %s: run %s (installed with ocirun): %w", req.Unit, m.helper, err)
	}
}
