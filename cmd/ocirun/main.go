// Command ocirun is an OCI container runtime with runc's command line.
// Each command lives in its own file and only parses flags; the work is
// done by package libcontainer. The container init is another binary,
// ocirun-init, next to this one (cmd/ocirun-init): this one is built
// without cgo, so that no command pays for the C library's start-up.
//
// Every ocirun process lives for milliseconds: cgroup-aware GOMAXPROCS
// would re-read the CPU limit of the caller's cgroup and update it in the
// background, for no gain.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
	// One P, from an init among the first.
	_ "github.com/ocirun/ocirun/libcontainer/gomaxprocs"
	"github.com/ocirun/ocirun/libcontainer/hostcheck"
	// The heap in one huge page, before most packages allocate; and
	// the entry point the Makefile links the binary with.
	_ "github.com/ocirun/ocirun/libcontainer/prefault"
)

// Set at build time with -ldflags "-X main.version=... -X main.gitCommit=...".
var (
	version   = "0.1.0-dev"
	gitCommit = ""
)

func main() {
	started = time.Now()
	hostcheck.RunProbeIfAsked()
	libcontainer.Warn = logWarn
	// Before anything of ours is opened: a missing fd would otherwise be
	// filled by one of the runtime's own (a lock on the state directory,
	// the log file) and handed to the container.
	if err := checkPreservedFds(os.Args); err != nil {
		logError(err)
		os.Exit(1)
	}
	app := newApp()
	err := app.Run(reorderArgs(app, os.Args))
	logTimings()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		logError(err)
		var se *statusError
		if errors.As(err, &se) {
			os.Exit(se.code)
		}
		os.Exit(1)
	}
}

// exitCode ends the program with that status and prints nothing: run and
// exec pass on the container process's own exit status this way.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// statusError is a failure that ends the program with its own status
// rather than 1; its message is printed as any error's.
type statusError struct {
	err  error
	code int
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// withStatus gives err (unless nil or a process's exit code) the exit
// status code.
func withStatus(code int, err error) error {
	var ec exitCode
	if err == nil || errors.As(err, &ec) {
		return err
	}
	return &statusError{err, code}
}

func newApp() *cli.App {
	name := filepath.Base(os.Args[0])
	cli.VersionPrinter = func(c *cli.Context) {
		fmt.Printf("%s version %s\n", c.App.Name, version)
		if gitCommit != "" {
			fmt.Printf("commit: %s\n", gitCommit)
		}
		fmt.Printf("spec: %s\n", specs.Version)
	}
	return &cli.App{
		Name:    name,
		Usage:   "run containers from OCI bundles",
		Version: version,
		UsageText: name + " [global options] command [command options] [arguments...]\n\n" +
			"Containers are created from OCI bundles: a directory with a config.json and\n" +
			"a root filesystem. State is kept under --root, one directory per container.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: defaultRoot, Usage: "state directory of the containers ($XDG_RUNTIME_DIR/ocirun when rootless)"},
			&cli.StringFlag{Name: "log", Usage: "also write log and error messages to this file"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages (--log-level debug)"},
			&cli.StringFlag{Name: "log-level", Value: "warning", Usage: "least severe messages logged: debug, info, warning (or warn) or error"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "manage cgroups through systemd (cgroupsPath is slice:prefix:name)"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto (rootless when not root on the host)"},
			&cli.BoolFlag{Name: "timings", EnvVars: []string{timingsEnv}, Usage: "log the duration of each phase of create, start, run and exec at debug level"},
		},
		Before:                 setupLogging,
		HideHelpCommand:        false,
		UseShortOptionHandling: true,
		Commands: []*cli.Command{
			createCommand, startCommand, runCommand, stateCommand, killCommand,
			deleteCommand, listCommand, specCommand, execCommand, featuresCommand,
			pauseCommand, resumeCommand, psCommand, eventsCommand, updateCommand,
			checkCommand, nsCommand,
		},
		// Errors are printed once by main, as the last line of output.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}
