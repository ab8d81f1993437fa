package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
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
	detach := c.Bool("detach")
	var console *os.File
	opts := &libcontainer.ExecOpts{
		Process:       proc,
		PidFile:       c.String("pid-file"),
		ConsoleSocket: c.String("console-socket"),
		PreserveFds:   c.Int("preserve-fds"),
		IgnorePaused:  c.Bool("ignore-paused"),
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
	if err != nil {
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
	lastCap, grantable, err := hostCapabilities()
	if err != nil {
		return nil, err
	}
	opts := specconv.Options{LastCap: lastCap, Grantable: grantable, Warn: logWarn}
	if path := c.String("process"); path != "" {
		b, err := smallfile.Read(path)
		if err != nil {
			return nil, fmt.Errorf("read --process file: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("parse --process file %s: %w", path, err)
		}
		proc, err := specconv.ToProcess(&p, opts)
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
		// Added to bounding, effective and permitted; never to the
		// inheritable set, which would let them survive into programs
		// the process execs (CVE-2022-29162). As in runc 1.2 and later,
		// a capability the process already has in its inheritable set
		// goes to the ambient set too: the config let it be inherited.
		nc := configs.Capabilities{}
		if p.Capabilities != nil {
			nc = *p.Capabilities
		}
		for _, name := range caps {
			n, ok, err := opts.Capability("--cap", strings.ToUpper(name))
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			nc.Bounding = append(append([]int{}, nc.Bounding...), n)
			nc.Effective = append(append([]int{}, nc.Effective...), n)
			nc.Permitted = append(append([]int{}, nc.Permitted...), n)
			if slices.Contains(nc.Inheritable, n) && !slices.Contains(nc.Ambient, n) {
				nc.Ambient = append(append([]int{}, nc.Ambient...), n)
			}
		}
		p.Capabilities = &nc
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
