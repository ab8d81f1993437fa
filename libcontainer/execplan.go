package libcontainer

import (
	"fmt"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// execPlan returns the encoded [initproto.ExecPlan] for a process that can
// be exec'd without a Go runtime in the container, or nil when it needs
// stage 1: a terminal, an LSM label, a scheduling policy or I/O priority,
// a seccomp notify listener, or a paused container (whose frozen cgroup the
// process may only join once it is ready).
func execPlan(cfg *configs.Config, p *configs.Process, preserveFds int, paused bool) ([]byte, error) {
	if paused || p.Terminal || p.ApparmorProfile != "" || p.SelinuxLabel != "" || p.Scheduler != nil || p.IOPriority != nil ||
		seccomp.UsesNotify(cfg.Seccomp) {
		return nil, nil
	}
	plan := &initproto.ExecPlan{
		Args:        p.Args,
		Env:         p.Env,
		Cwd:         p.Cwd,
		UID:         p.User.UID,
		GID:         p.User.GID,
		Umask:       0o022,
		Groups:      p.User.AdditionalGids,
		NoNewPrivs:  p.NoNewPrivileges,
		Rlimits:     p.Rlimits,
		PreserveFds: uint32(preserveFds),
	}
	if plan.Cwd == "" {
		plan.Cwd = "/"
	}
	if p.User.Umask != nil {
		plan.Umask = *p.User.Umask
	}
	if cfg.Personality != nil {
		d := uint32(cfg.Personality.Domain)
		plan.Personality = &d
	}
	if c := p.Capabilities; c != nil {
		last, err := capabilities.LastCap()
		if err != nil {
			return nil, err
		}
		ec := &initproto.ExecCaps{LastCap: uint32(last)}
		for _, s := range []struct {
			mask *uint64
			caps []int
		}{{&ec.Bounding, c.Bounding}, {&ec.Effective, c.Effective}, {&ec.Permitted, c.Permitted},
			{&ec.Inheritable, c.Inheritable}, {&ec.Ambient, c.Ambient}} {
			if *s.mask, err = initproto.CapMask(s.caps); err != nil {
				return nil, fmt.Errorf("process.capabilities: %w", err)
			}
		}
		plan.Caps = ec
	}
	if cfg.Seccomp != nil {
		filter, err := seccomp.Build(cfg.Seccomp)
		if err != nil {
			return nil, err
		}
		defer filter.Release()
		if plan.SeccompBPF, plan.SeccompFlags, err = filter.BPF(); err != nil {
			return nil, err
		}
	}
	return plan.Encode(), nil
}
