package libcontainer

import (
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// execPlan returns the encoded [initproto.Plan] for a process that stage
// 0's child can finish at once, or nil when it needs stage 1: a terminal
// (the pty is made in Go), a paused container (whose frozen cgroup the
// process may only join once it is ready), or a seccomp filter without a
// stored program (created by an older ocirun: stage 1 compiles it).
//
// seccompProgram supplies linux.seccomp compiled to BPF, with its flags.
func execPlan(cfg *execView, p *configs.Process, preserveFds int, paused bool,
	seccompProgram func() ([]byte, uint32, bool)) ([]byte, error) {
	if paused || p.Terminal {
		return nil, nil
	}
	plan, err := initproto.NewPlan(p, cfg.Personality, preserveFds)
	if err != nil {
		return nil, err
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
// seccomp(2) flags, as stage 1 compiled it during create (libseccomp takes
// longer for an engine's default profile than all the rest of an exec, and
// the runtime has no libseccomp). ok is false when the container has no
// stored program (created by an older ocirun): the exec then goes through
// stage 1, which compiles the filter itself.
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
