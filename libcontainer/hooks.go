package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/hooks"
)

// runRuntimeHooks runs the prestart and createRuntime hooks in the
// runtime's namespaces, while the container init waits before pivot_root.
//
// The state these hooks (and createContainer, startContainer) see says
// "created": runtime.md puts them after lifecycle step 2, and "created"
// is the status from the end of step 2 until the user program runs.
func (c *Container) runRuntimeHooks() error {
	h := c.hooks()
	if h == nil {
		return nil
	}
	st := c.specStateAs(specs.StateCreated)
	if err := hooks.RunAll("prestart", h.Prestart, st); err != nil { //nolint:staticcheck // deprecated by the spec, still run
		return err
	}
	return hooks.RunAll("createRuntime", h.CreateRuntime, st)
}

// runPoststart runs the poststart hooks after the user process started. The
// spec (v1.3.0) makes their failure fatal: start reports it.
func (c *Container) runPoststart() error {
	h := c.hooks()
	if h == nil || len(h.Poststart) == 0 {
		return nil
	}
	return hooks.RunAll("poststart", h.Poststart, c.specStateAs(specs.StateRunning))
}

// runPoststop runs the poststop hooks once the container is gone. Their
// failures are only warnings: the container is deleted anyway.
func (c *Container) runPoststop(warn func(string)) {
	h := c.hooks()
	if h == nil || len(h.Poststop) == 0 {
		return
	}
	st := c.specStateAs(specs.StateStopped)
	st.Pid = 0
	for _, hook := range h.Poststop {
		if err := hooks.Run("poststop", hook, st); err != nil && warn != nil {
			warn(err.Error())
		}
	}
}

// hooks returns the config's hooks; a config that cannot be read has none
// to run (the command that needs the config reports that itself).
func (c *Container) hooks() *specs.Hooks {
	v, err := c.lifecycleConfig()
	if err != nil {
		return nil
	}
	return v.Hooks
}
