// Package sdbus carries out the systemd driver's requests over systemd's
// D-Bus API. Only the helper binary ocirun-systemd imports it, so that no
// ocirun command pays for the D-Bus packages' initialisation; see package
// systemd for the driver itself.
package sdbus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"

	"github.com/ocirun/ocirun/libcontainer/cgroups"
	"github.com/ocirun/ocirun/libcontainer/cgroups/systemd"
)

// jobTimeout bounds the wait for systemd to start or stop the unit.
const jobTimeout = 30 * time.Second

// Run carries out one request. Its error is one line naming the unit and,
// when systemd refused one, the property.
func Run(req *systemd.Request) error {
	if !strings.HasSuffix(req.Unit, ".scope") {
		return fmt.Errorf("systemd unit %q is not a scope", req.Unit)
	}
	var props []sd.Property
	if req.Op == systemd.OpStart || req.Op == systemd.OpSet {
		var err error
		if props, err = unitProperties(req); err != nil {
			return err
		}
	}
	c, err := sd.NewWithContext(context.Background())
	if err != nil {
		return fmt.Errorf("systemd unit %s: connect to systemd over D-Bus: %w", req.Unit, err)
	}
	defer c.Close()
	switch req.Op {
	case systemd.OpStart:
		return start(c, req, props)
	case systemd.OpSet:
		if len(props) == 0 {
			return nil
		}
		if err := c.SetUnitPropertiesContext(context.Background(), req.Unit, true, props...); err != nil {
			return fmt.Errorf("set properties of systemd unit %s: %w", req.Unit, explain(err, props))
		}
		return nil
	case systemd.OpStop:
		return stop(c, req.Unit)
	}
	return fmt.Errorf("systemd unit %s: unknown request %q", req.Unit, req.Op)
}

// unitProperties are the unit's properties for req: for a start, what
// every container's scope has, then its resources, then the annotations
// (the last assignment of a property wins); for a set, the resources.
func unitProperties(req *systemd.Request) ([]sd.Property, error) {
	var charDevs, blockDevs map[int64]string
	if r := req.Resources; r != nil && len(r.Devices) > 0 {
		data, err := os.ReadFile("/proc/devices")
		if err != nil {
			return nil, fmt.Errorf("systemd unit %s: device groups: %w", req.Unit, err)
		}
		charDevs, blockDevs = cgroups.ParseProcDevices(string(data))
	}
	res, err := cgroups.UnitProperties(req.Resources, req.Mode, charDevs, blockDevs)
	if err != nil {
		return nil, fmt.Errorf("systemd unit %s: %w", req.Unit, err)
	}
	var out []sd.Property
	if req.Op == systemd.OpStart {
		if req.Pid <= 0 {
			return nil, fmt.Errorf("systemd unit %s: a scope needs a first process", req.Unit)
		}
		out = []sd.Property{
			sd.PropDescription("ocirun container " + strings.TrimSuffix(req.Unit, ".scope")),
			sd.PropSlice(req.Slice),
			sd.PropPids(uint32(req.Pid)),
			prop("Delegate", true),
			prop("DefaultDependencies", false),
			prop("MemoryAccounting", true),
			prop("CPUAccounting", true),
			prop("TasksAccounting", true),
		}
		if req.Mode == cgroups.Unified {
			out = append(out, prop("IOAccounting", true))
		} else {
			out = append(out, prop("BlockIOAccounting", true))
		}
	}
	for _, p := range res {
		out = append(out, prop(p.Name, p.Value))
	}
	if req.Op == systemd.OpStart {
		extra, err := AnnotationProperties(req.Annotations)
		if err != nil {
			return nil, fmt.Errorf("systemd unit %s: %w", req.Unit, err)
		}
		out = append(out, extra...)
	}
	return out, nil
}

func start(c *sd.Conn, req *systemd.Request, props []sd.Property) error {
	var err error
	for try := 0; ; try++ {
		err = runJob(func(ctx context.Context, ch chan<- string) error {
			_, err := c.StartTransientUnitContext(ctx, req.Unit, "replace", props, ch)
			return err
		})
		if try == 0 && isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			// Most often a failed unit of an earlier container of the
			// same name, which systemd keeps until it is reset.
			if rerr := c.ResetFailedUnitContext(context.Background(), req.Unit); rerr == nil {
				continue
			}
		}
		break
	}
	if err != nil {
		// A unit whose job failed stays loaded as "failed": reset it, so
		// that nothing is left behind.
		_ = c.ResetFailedUnitContext(context.Background(), req.Unit)
		return fmt.Errorf("start systemd unit %s in %s: %w", req.Unit, req.Slice, explain(err, props))
	}
	return nil
}

// stop stops the unit, which removes the cgroups systemd made, and resets
// it if it failed, so that systemd forgets it. A unit systemd no longer
// knows is already gone.
func stop(c *sd.Conn, unit string) error {
	err := runJob(func(ctx context.Context, ch chan<- string) error {
		_, err := c.StopUnitContext(ctx, unit, "replace", ch)
		return err
	})
	if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		err = nil
	}
	if rerr := c.ResetFailedUnitContext(context.Background(), unit); rerr != nil &&
		!isDBusError(rerr, "org.freedesktop.systemd1.NoSuchUnit") && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("stop systemd unit %s: %w", unit, err)
	}
	return nil
}

// runJob calls a method that queues a job and waits for its result.
func runJob(call func(context.Context, chan<- string) error) error {
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
