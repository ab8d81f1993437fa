package containerinit

import (
	"encoding/binary"
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/seccomp"
)

// plan translates the process for the finisher, with the seccomp filter
// compiled here.
func plan(ic *initproto.InitConfig, filter *seccomp.Filter) (*initproto.Plan, error) {
	p, err := initproto.NewPlan(ic.Process, ic.Config.Personality, ic.PreserveFds)
	if err != nil {
		return nil, err
	}
	if filter != nil {
		if p.SeccompBPF, p.SeccompFlags, err = filter.BPF(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// hookState is the state handed to hooks that run inside the container.
func hookState(ic *initproto.InitConfig, status specs.ContainerState) *specs.State {
	st := &specs.State{}
	if len(ic.State) > 0 {
		json.Unmarshal(ic.State, st) // produced by the runtime from the same types
	}
	st.Status = status
	return st
}

// sendSeccompProgram hands the runtime the filter as BPF, for the execs to
// come (see initproto.MsgSeccompProgram); a notify rule travels as the
// SECCOMP_FILTER_FLAG_NEW_LISTENER flag.
func sendSeccompProgram(conn *initproto.Conn, filter *seccomp.Filter) error {
	if filter == nil {
		return nil
	}
	prog, flags, err := filter.BPF()
	if err != nil {
		return err
	}
	return conn.Send(initproto.MsgSeccompProgram, append(binary.LittleEndian.AppendUint32(nil, flags), prog...))
}

// buildSeccomp compiles linux.seccomp, or returns nil when there is none.
func buildSeccomp(cfg *configs.Config) (*seccomp.Filter, error) {
	if cfg.Seccomp == nil {
		return nil, nil
	}
	return seccomp.Build(cfg.Seccomp)
}
