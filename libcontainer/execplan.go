package libcontainer

import (
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/ocirun/ocirun/libcontainer/capabilities"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// execPlan returns the encoded [initproto.ExecPlan] for a process that can
// be exec'd without a Go runtime in the container, or nil when it needs
// stage 1: a terminal, an LSM label, a scheduling policy or I/O priority,
// a seccomp notify listener, or a paused container (whose frozen cgroup the
// process may only join once it is ready).
// It also returns nil when the container has a seccomp filter but no stored
// program for it.
//
// seccompProgram supplies linux.seccomp compiled to BPF, with its flags.
func execPlan(cfg *execView, p *configs.Process, preserveFds int, paused bool,
	seccompProgram func() ([]byte, uint32, bool)) ([]byte, error) {
	if paused || p.Terminal || p.ApparmorProfile != "" || p.SelinuxLabel != "" || p.Scheduler != nil || p.IOPriority != nil ||
		cfg.seccompNotify() {
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
		var ok bool
		if plan.SeccompBPF, plan.SeccompFlags, ok = seccompProgram(); !ok {
			return nil, nil
		}
	}
	return plan.Encode(), nil
}

// seccompProgram returns the container's seccomp filter as BPF and its
// seccomp(2) flags, as stage 1 compiled it during create (libseccomp needs
// some 25 ms for an engine's default profile, more than all the rest of an
// exec, and the runtime has no libseccomp). ok is false when the container
// has no stored program (a notify rule, or created by an older ocirun):
// the exec then goes through stage 1, which compiles the filter itself.
func (c *Container) seccompProgram() (prog []byte, flags uint32, ok bool) {
	b, err := smallfile.Read(filepath.Join(c.dir, seccompFile))
	if err != nil || !validSeccompProgram(b) {
		return nil, 0, false
	}
	return b[4:], binary.LittleEndian.Uint32(b), true
}

// keepSeccompProgram stores the payload of MsgSeccompProgram.
func (c *Container) keepSeccompProgram(payload []byte) error {
	if !validSeccompProgram(payload) {
		return fmt.Errorf("sync protocol: seccomp program of %d bytes", len(payload))
	}
	if err := writeFileAtomic(filepath.Join(c.dir, seccompFile), payload, 0o600); err != nil {
		return fmt.Errorf("container %q: keep its seccomp filter: %w", c.ID(), err)
	}
	return nil
}

// validSeccompProgram checks the layout: a flags word, then whole BPF
// instructions.
func validSeccompProgram(b []byte) bool { return len(b) > 4 && (len(b)-4)%8 == 0 }
