package libcontainer

import "errors"

// Errors of the library that a caller may want to explain in its own terms:
// the CLI adds which flag changes the outcome (the library names no flag).
var (
	// ErrPaused: exec into a paused container was not allowed (see
	// ExecOpts.IgnorePaused).
	ErrPaused = errors.New("it is paused")
	// ErrNotStopped: delete of a running container without force.
	ErrNotStopped = errors.New("stop it first")
	// ErrConsoleWithoutTerminal: a console socket was passed for a process
	// without a terminal.
	ErrConsoleWithoutTerminal = errors.New("a console socket is only valid when the process has a terminal (process.terminal)")
	// ErrNoConsoleSocket: the process has a terminal but nothing to send its
	// pty master to.
	ErrNoConsoleSocket = errors.New("process.terminal is true but no console socket was given")
	// ErrDamaged: the container's state cannot be read; only a forced
	// delete, which trusts none of it, removes the container.
	ErrDamaged = errors.New("its state is damaged")
	// ErrProcessesUnknown: the container has neither a cgroup (rootless,
	// none delegated) nor a PID namespace of its own, so none of its
	// processes but the init can be found.
	ErrProcessesUnknown = errors.New("without a cgroup (none is delegated to the rootless runtime's user) and without a PID namespace of its own, its other processes cannot be found")
)
