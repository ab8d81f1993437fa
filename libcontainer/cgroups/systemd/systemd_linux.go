// Package systemd is the systemd cgroup driver (--systemd-cgroup): the
// container's cgroup is a transient scope unit that systemd creates, in the
// slice linux.cgroupsPath names ("slice:prefix:name"), through systemd's
// D-Bus API. The unit carries the container's first process, Delegate=yes
// (the container may manage the cgroups below its own) and the resources
// systemd has properties for (cgroups.UnitProperties); every resource is
// then also written to the unit's cgroup by the cgroupfs managers of
// package cgroups, which is how what systemd cannot express is applied.
//
// Only this package talks to D-Bus, and only when a container uses the
// driver: the connection is made by the first call that needs it.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/configs"
)

// jobTimeout bounds the wait for systemd to start or stop the unit.
const jobTimeout = 30 * time.Second

// Manager is the container's scope unit and, through the embedded cgroupfs
// manager, its cgroup directories.
type Manager struct {
	cgroups.Manager
	unit  cgroups.Unit
	mode  cgroups.Mode
	extra []sd.Property // from org.systemd.property.* annotations
	// resources are the container's linux.resources, for the unit's
	// first properties.
	resources *specs.LinuxResources
	// started is set once the unit exists; until then Apply starts it.
	started bool
	// startedWith are the resources the unit was started with, so that
	// the Set that follows does not send the same properties again.
	startedWith *specs.LinuxResources

	mu   sync.Mutex
	conn *sd.Conn
}

// New resolves the container's unit and cgroup directories. Nothing is
// created and the bus is not contacted until Apply.
func New(cg *configs.Cgroup, containerID string, annotations map[string]string) (*Manager, error) {
	if fi, err := os.Lstat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return nil, errors.New("the systemd cgroup driver (--systemd-cgroup) needs systemd as init, and /run/systemd/system does not exist")
	}
	u, err := cgroups.ParseUnit(cg.Path, containerID)
	if err != nil {
		return nil, err
	}
	extra, err := AnnotationProperties(annotations)
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
	return &Manager{Manager: fs, unit: u, mode: fs.State().Mode, extra: extra, resources: cg.Resources}, nil
}

// Load rebuilds the manager of a container whose unit exists.
func Load(s cgroups.State) (*Manager, error) {
	fs, err := cgroups.Load(s)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(s.Unit, ".scope") {
		return nil, fmt.Errorf("load cgroup state: %q is not a scope unit", s.Unit)
	}
	return &Manager{Manager: fs, unit: cgroups.Unit{Name: s.Unit}, mode: s.Mode, started: true}, nil
}

// Unit is the scope's unit name.
func (m *Manager) Unit() string { return m.unit.Name }

// State records the unit beside the directories.
func (m *Manager) State() cgroups.State {
	s := m.Manager.State()
	s.Unit = m.unit.Name
	return s
}

func (m *Manager) bus() (*sd.Conn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		return m.conn, nil
	}
	// The context is the connection's lifetime, not a timeout: the
	// connection closes when it is done.
	c, err := sd.NewWithContext(context.Background())
	if err != nil {
		return nil, fmt.Errorf("connect to systemd over D-Bus: %w", err)
	}
	m.conn = c
	return c, nil
}

// Close drops the D-Bus connection, if one was made.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
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
	r := m.resources
	props, err := m.unitProperties(r)
	if err != nil {
		return err
	}
	base := []sd.Property{
		sd.PropDescription("ocirun container " + strings.TrimSuffix(m.unit.Name, ".scope")),
		sd.PropSlice(m.unit.Slice),
		sd.PropPids(uint32(pid)),
		prop("Delegate", true),
		prop("DefaultDependencies", false),
		prop("MemoryAccounting", true),
		prop("CPUAccounting", true),
		prop("TasksAccounting", true),
	}
	if m.mode == cgroups.Unified {
		base = append(base, prop("IOAccounting", true))
	} else {
		base = append(base, prop("BlockIOAccounting", true))
	}
	all := append(append(base, props...), m.extra...)
	if err := m.start(all); err != nil {
		return err
	}
	m.started, m.startedWith = true, r
	return m.Manager.Apply(0)
}

func (m *Manager) start(props []sd.Property) error {
	c, err := m.bus()
	if err != nil {
		return err
	}
	name := m.unit.Name
	for try := 0; ; try++ {
		err = m.runJob(func(ctx context.Context, ch chan<- string) error {
			_, err := c.StartTransientUnitContext(ctx, name, "replace", props, ch)
			return err
		})
		if try == 0 && isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			// Most often a failed unit of an earlier container of the
			// same name, which systemd keeps until it is reset.
			if rerr := c.ResetFailedUnitContext(context.Background(), name); rerr == nil {
				continue
			}
		}
		break
	}
	if err != nil {
		// A unit whose job failed stays loaded as "failed": reset it, so
		// that nothing is left behind.
		_ = c.ResetFailedUnitContext(context.Background(), name)
		return fmt.Errorf("start systemd unit %s in %s: %w", name, m.unit.Slice, explain(err, props))
	}
	return nil
}

// runJob calls a method that queues a job and waits for its result.
func (m *Manager) runJob(call func(context.Context, chan<- string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	ch := make(chan string, 1)
	if err := call(ctx, ch); err != nil {
		return err
	}
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("job result %q (systemctl status shows why)", res)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no job result within %v", jobTimeout)
	}
}

// Set writes r to the unit's properties, then to the cgroup files.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if r != m.startedWith {
		props, err := m.unitProperties(r)
		if err != nil {
			return err
		}
		if len(props) > 0 {
			c, err := m.bus()
			if err != nil {
				return err
			}
			if err := c.SetUnitPropertiesContext(context.Background(), m.unit.Name, true, props...); err != nil {
				return fmt.Errorf("set properties of systemd unit %s: %w", m.unit.Name, explain(err, props))
			}
		}
	}
	m.startedWith = nil
	return m.Manager.Set(r)
}

// Destroy stops the unit, which removes the cgroups systemd made, resets
// it if it failed, so that systemd forgets it, then removes what the
// cgroupfs manager made.
func (m *Manager) Destroy() error {
	var errs []error
	c, err := m.bus()
	if err == nil {
		err = m.runJob(func(ctx context.Context, ch chan<- string) error {
			_, err := c.StopUnitContext(ctx, m.unit.Name, "replace", ch)
			return err
		})
		if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			err = nil
		}
		if rerr := c.ResetFailedUnitContext(context.Background(), m.unit.Name); rerr != nil &&
			!isDBusError(rerr, "org.freedesktop.systemd1.NoSuchUnit") && err == nil {
			err = rerr
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("stop systemd unit %s: %w", m.unit.Name, err))
	}
	if err := m.Manager.Destroy(); err != nil {
		errs = append(errs, err)
	}
	m.Close()
	return errors.Join(errs...)
}

func (m *Manager) unitProperties(r *specs.LinuxResources) ([]sd.Property, error) {
	var charDevs, blockDevs map[int64]string
	if r != nil && len(r.Devices) > 0 {
		data, err := os.ReadFile("/proc/devices")
		if err != nil {
			return nil, fmt.Errorf("systemd unit %s: device groups: %w", m.unit.Name, err)
		}
		charDevs, blockDevs = cgroups.ParseProcDevices(string(data))
	}
	ps, err := cgroups.UnitProperties(r, m.mode, charDevs, blockDevs)
	if err != nil {
		return nil, fmt.Errorf("systemd unit %s: %w", m.unit.Name, err)
	}
	out := make([]sd.Property, 0, len(ps))
	for _, p := range ps {
		out = append(out, prop(p.Name, p.Value))
	}
	return out, nil
}

func prop(name string, v any) sd.Property {
	return sd.Property{Name: name, Value: godbus.MakeVariant(v)}
}

func isDBusError(err error, name string) bool {
	var de godbus.Error
	return errors.As(err, &de) && de.Name == name
}

// explain adds to systemd's error the property it names, with the value
// sent; systemd's messages name the property but not always the value.
func explain(err error, props []sd.Property) error {
	var de godbus.Error
	if !errors.As(err, &de) {
		return err
	}
	msg := de.Error()
	// The longest name that occurs: MemorySwapMax, not MemoryMax.
	var named *sd.Property
	for i, p := range props {
		if strings.Contains(msg, p.Name) && (named == nil || len(p.Name) > len(named.Name)) {
			named = &props[i]
		}
	}
	if named == nil {
		return err
	}
	return fmt.Errorf("property %s=%s: %w", named.Name, named.Value.String(), err)
}
