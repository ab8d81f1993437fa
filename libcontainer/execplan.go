package libcontainer

import (
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/internal/smallfile"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// execPlan returns the encoded [initproto.ExecPlan] for a process that can
// be exec'd without a Go runtime in the container, or nil when it needs
// stage 1: a terminal, an LSM label, a scheduling policy or I/O priority,
// a seccomp notify listener, or a paused container (whose frozen cgroup the
// process may only join once it is ready).
//
// seccompProgram supplies linux.seccomp compiled to BPF, with its flags.
func execPlan(cfg *configs.Config, p *configs.Process, preserveFds int, paused bool,
	seccompProgram func(*configs.Seccomp) ([]byte, uint32, error)) ([]byte, error) {
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
		var err error
		if plan.SeccompBPF, plan.SeccompFlags, err = seccompProgram(cfg.Seccomp); err != nil {
			return nil, err
		}
	}
	return plan.Encode(), nil
}

// seccompProgram returns the container's seccomp filter as BPF and its
// seccomp(2) flags. libseccomp needs some 25 ms to compile an engine's
// default profile here, more than all the rest of an exec, and a
// container's config never changes: the first exec compiles it and keeps
// it in the state directory, the next ones (probes run exec over and over)
// read it back.
func (c *Container) seccompProgram(s *configs.Seccomp) ([]byte, uint32, error) {
	path := filepath.Join(c.dir, seccompFile)
	if b, err := smallfile.Read(path); err == nil && len(b) > 4 && (len(b)-4)%8 == 0 {
		return b[4:], binary.LittleEndian.Uint32(b), nil
	}
	filter, err := seccomp.Build(s)
	if err != nil {
		return nil, 0, err
	}
	defer filter.Release()
	prog, flags, err := filter.BPF()
	if err != nil {
		return nil, 0, err
	}
	if err := writeFileAtomic(path, append(binary.LittleEndian.AppendUint32(nil, flags), prog...), 0o600); err != nil {
		return nil, 0, fmt.Errorf("container %q: keep its seccomp filter: %w", c.ID(), err)
	}
	return prog, flags, nil
}
