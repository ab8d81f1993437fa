package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/specconv"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a process in a running container",
	ArgsUsage: "<container-id> [command [args...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "JSON file with a runtime-spec process object"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (KEY=value)"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid] to run as"},
		&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gid"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability to the bounding, effective and permitted sets"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs for the process"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile of the process"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label of the process"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass N more fds, from 3 up, to the process"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even if the container is paused"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process "},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run the process in an existing sub-cgroup of the container's: PATH, or CONTROLLER[,CONTROLLER]:PATH (cgroup v1, repeatable)"},
	},
	// A failed exec exits 255, as runc's does: the process's own exit
	// codes, which exec passes on, can be anything from 0 to 255.
	Action: func(c *cli.Context) error { return withStatus(255, execAction(c)) },
}

func execAction(c *cli.Context) error {
	libcontainer.PrepareCgroupMove()
	if c.NArg() < 1 {
		return errors.New("exec: a container id is required")
	}
	if c.Int("preserve-fds") < 0 {
		return errNegativePreserve
	}
	sub, err := parseSubCgroups(c.StringSlice("cgroup"))
	if err != nil {
		return err
	}
	ctr, err := store(c).Load(c.Args().First())
	if err != nil {
		return err
	}
	base, err := ctr.ProcessTemplate()
	if err != nil {
		ctr.Unlock()
		return err
	}
	proc, err := execProcess(c, base)
	if err != nil {
		ctr.Unlock()
		return err
	}
	libcontainer.Timer.Mark("config load")
	detach := c.Bool("detach")
	var console *os.File
	opts := &libcontainer.ExecOpts{
		Process:       proc,
		PidFile:       c.String("pid-file"),
		ConsoleSocket: c.String("console-socket"),
		PreserveFds:   c.Int("preserve-fds"),
		IgnorePaused:  c.Bool("ignore-paused"),
		SubCgroups:    sub,
	}
	if proc.Terminal && opts.ConsoleSocket == "" {
		if detach {
			ctr.Unlock()
			return errors.New("exec --detach with a terminal needs --console-socket")
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			ctr.Unlock()
			return fmt.Errorf("create console socket pair: %w", err)
		}
		console = os.NewFile(uintptr(fds[0]), "console")
		opts.ConsoleConn = os.NewFile(uintptr(fds[1]), "console-exec")
	}
	sigs := make(chan os.Signal, 64)
	var sigsReady <-chan struct{}
	if !detach {
		sigsReady = notifyForwarded(sigs)
	}
	pid, err := ctr.Exec(opts)
	ctr.Unlock()
	logTimings()
	if err != nil {
		if len(sub) > 0 {
			return fmt.Errorf("--cgroup: %w", err)
		}
		return err
	}
	logDebug("exec in container %s: pid %d", ctr.ID(), pid)
	if p := c.String("pidfd-socket"); p != "" {
		if err := libcontainer.SendPidfd(p, pid); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			return err
		}
	}
	if detach {
		return nil
	}
	var restore func()
	var outputDone <-chan struct{}
	var master *os.File
	if console != nil {
		if master, err = receiveMaster(console); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			return err
		}
		restore, outputDone = relayTerminal(master)
	}
	ws := waitContainer(pid, sigs, sigsReady, master)
	if outputDone != nil {
		select {
		case <-outputDone:
		case <-time.After(time.Second):
		}
	}
	if restore != nil {
		restore()
	}
	return exitCode(libcontainer.ExitCode(ws))
}

// execProcess builds the process to run: from --process, or from the
// container's own process (base) with the command line and flags applied.
func execProcess(c *cli.Context, base *configs.Process) (*configs.Process, error) {
	lastCap, grantable, err := libcontainer.HostCapabilities()
	if err != nil {
		return nil, err
	}
	opts := specconv.Options{LastCap: lastCap, Grantable: grantable, Warn: logWarn}
	if path := c.String("process"); path != "" {
		// A malformed file is named with its line and column.
		p, err := specconv.LoadProcess(path)
		if err != nil {
			return nil, err
		}
		proc, err := specconv.ToProcess(p, opts)
		if err != nil {
			return nil, fmt.Errorf("--process file %s: %w", path, err)
		}
		return proc, nil
	}
	if c.NArg() < 2 {
		return nil, errors.New("exec: a command to run (or --process) is required")
	}
	tmpl := *base
	p := &tmpl
	p.Args = c.Args().Slice()[1:]
	p.Terminal = c.Bool("tty")
	p.Env = specconv.ProcessEnv(append(append([]string{}, p.Env...), c.StringSlice("env")...))
	if cwd := c.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	if u := c.String("user"); u != "" {
		uidStr, gidStr, hasGid := strings.Cut(u, ":")
		uid, err := strconv.ParseUint(uidStr, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--user %q: uid must be a number", u)
		}
		p.User.UID = uint32(uid)
		p.User.GID = 0
		if hasGid {
			gid, err := strconv.ParseUint(gidStr, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--user %q: gid must be a number", u)
			}
			p.User.GID = uint32(gid)
		}
	}
	for _, g := range c.StringSlice("additional-gids") {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--additional-gids %q: must be a number", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(gid))
	}
	if caps := c.StringSlice("cap"); len(caps) > 0 {
		if p.Capabilities, err = opts.GrantCapabilities(p.Capabilities, caps, "--cap"); err != nil {
			return nil, err
		}
	}
	if c.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	if a := c.String("apparmor"); a != "" {
		p.ApparmorProfile = a
	}
	if l := c.String("process-label"); l != "" {
		p.SelinuxLabel = l
	}
	return p, nil
}

// parseSubCgroups reads the --cgroup values: one PATH for every hierarchy,
// or CONTROLLER[,CONTROLLER...]:PATH values, each controller named once.
func parseSubCgroups(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(args))
	for _, a := range args {
		ctrls, path, ok := strings.Cut(a, ":")
		if !ok {
			if len(args) > 1 {
				return nil, fmt.Errorf("--cgroup %q: with more than one --cgroup, each needs a CONTROLLER: prefix", a)
			}
			ctrls, path = "", a
		}
		if path == "" {
			return nil, fmt.Errorf("--cgroup %q: empty path", a)
		}
		for _, ctrl := range strings.Split(ctrls, ",") {
			if ok && ctrl == "" {
				return nil, fmt.Errorf("--cgroup %q: empty controller name", a)
			}
			if _, dup := out[ctrl]; dup {
				return nil, fmt.Errorf("--cgroup %q: controller %s given twice", a, ctrl)
			}
			out[ctrl] = path
		}
	}
	return out, nil
}
