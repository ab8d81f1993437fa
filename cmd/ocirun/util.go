package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/userns"
)

func store(c *cli.Context) *libcontainer.Store {
	return &libcontainer.Store{Root: stateRoot(c)}
}

// defaultRoot is --root unless the runtime is rootless (see stateRoot).
const defaultRoot = "/run/ocirun"

// stateRoot is --root, or where a rootless runtime keeps its state when
// --root is not given: under $XDG_RUNTIME_DIR, the user's own runtime
// directory, as runc does (rootless podman passes no --root).
func stateRoot(c *cli.Context) string {
	if c.IsSet("root") {
		return c.String("root")
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" && userns.Rootless() {
		return filepath.Join(dir, "ocirun")
	}
	return defaultRoot
}

// rootless is the --rootless mode: "auto" means rootless whenever the
// runtime lacks root on the host (package userns). The flag's value was
// checked by setupLogging.
func rootless(c *cli.Context) bool {
	switch c.String("rootless") {
	case "true":
		return true
	case "false":
		return false
	}
	return userns.Rootless()
}

// containerID returns the single container id argument of a command.
func containerID(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 0:
		return "", fmt.Errorf("%s: a container id is required", c.Command.Name)
	case 1:
		return c.Args().First(), nil
	}
	return "", fmt.Errorf("%s: expected one container id, got %d arguments: %s", c.Command.Name, c.NArg(), strings.Join(c.Args().Slice(), " "))
}

// onContainer runs fn on the container named by the command's single
// argument, holding its lock.
func onContainer(c *cli.Context, fn func(*libcontainer.Container) error) error {
	id, err := containerID(c)
	if err != nil {
		return err
	}
	ctr, err := store(c).Load(id)
	if err != nil {
		return err
	}
	defer ctr.Unlock()
	return fn(ctr)
}

// loadBundle reads <bundle>/config.json and translates it.
func loadBundle(c *cli.Context, bundle string) (string, *configs.Config, error) {
	return libcontainer.LoadBundle(bundle, libcontainer.BundleOptions{Systemd: c.Bool("systemd-cgroup"), Warn: logWarn})
}

// addListenFds passes socket-activation fds (LISTEN_FDS, systemd's
// protocol) into the container as runc does: they follow the preserved fds.
func addListenFds(cfg *configs.Config, preserve int) int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 {
		return preserve
	}
	cfg.Process.Env = append(cfg.Process.Env, "LISTEN_FDS="+strconv.Itoa(n), "LISTEN_PID=1")
	return preserve + n
}

// parseSignal accepts "9", "KILL", "SIGKILL" and "kill"; 0 checks that
// the container runs, as kill(2)'s signal 0 does.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// reorderArgs lets flags follow positional arguments, as runc accepts
// ("update ID --memory 1M"): flags of the subcommand found after its first
// positional argument are moved in front of it. exec and ps keep their
// order after the id, where the container's command line or ps's own
// options start (`ps ID -e -x`).
func reorderArgs(app *cli.App, args []string) []string {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil || cmd.Name == "exec" || cmd.Name == "ps" {
		return args
	}
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && j+1 < len(rest) {
				flags = append(flags, rest[j+1])
				j++
			}
			continue
		}
		positional = append(positional, a)
	}
	out := append(append([]string{}, args[:i+1]...), flags...)
	return append(out, positional...)
}

func takesValue(flags []cli.Flag, arg string) bool {
	if strings.Contains(arg, "=") {
		return false
	}
	name := strings.TrimLeft(arg, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			_, isBool := f.(*cli.BoolFlag)
			return !isBool
		}
	}
	return false
}

// checkPreservedFds verifies that the fds --preserve-fds (and LISTEN_FDS)
// promise to the container are really open in this process.
func checkPreservedFds(args []string) error {
	n := 0
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--preserve-fds=")
		if !ok && a == "--preserve-fds" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if !ok {
			continue
		}
		count, err := strconv.Atoi(v)
		if err != nil || count < 0 {
			return fmt.Errorf("--preserve-fds: %q is not a number of fds", v)
		}
		n = count
	}
	if l, err := strconv.Atoi(os.Getenv("LISTEN_FDS")); err == nil && l > 0 {
		n += l
	}
	for fd := 3; fd < 3+n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: fd %d is not open", n, fd)
		}
	}
	return nil
}
