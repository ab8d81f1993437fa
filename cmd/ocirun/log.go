package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// The log channel engines read: containerd shows the last "error" line of
// the --log file, conmon its msg; podman without JSON support reads stderr.
var logger struct {
	file  *os.File
	json  bool
	debug bool
}

func setupLogging(c *cli.Context) error {
	switch f := c.String("log-format"); f {
	case "text":
	case "json":
		logger.json = true
	default:
		return fmt.Errorf("--log-format: unknown format %q (text or json)", f)
	}
	logger.debug = c.Bool("debug")
	if p := c.String("log"); p != "" {
		f, err := smallfile.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_APPEND|unix.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open --log file %s: %w", p, err)
		}
		logger.file = f
	}
	if logger.debug {
		logDebug("%s %s, version %s: %s", c.App.Name, strings.Join(os.Args[1:], " "), version, c.String("root"))
	}
	switch r := c.String("rootless"); r {
	case "auto", "false":
	case "true":
		if os.Geteuid() == 0 {
			break
		}
		return fmt.Errorf("--rootless=true: running without root is not supported yet")
	default:
		return fmt.Errorf("--rootless: invalid value %q (true, false or auto)", r)
	}
	return nil
}

func writeLog(level, msg string) {
	if logger.file == nil {
		return
	}
	if logger.json {
		b, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, time.Now().Format(time.RFC3339Nano)})
		logger.file.Write(append(b, '\n'))
		return
	}
	// The key=value lines of runc's text log, which tools that read it
	// split the same way.
	fmt.Fprintf(logger.file, "time=%q level=%s msg=%q\n", time.Now().Format(time.RFC3339Nano), level, msg)
}

// logError reports the command's failure: one line, the real cause last.
func logError(err error) {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	writeLog("error", msg)
	fmt.Fprintln(os.Stderr, "ocirun: "+msg)
}

func logWarn(msg string) {
	writeLog("warning", msg)
	fmt.Fprintln(os.Stderr, "ocirun: warning: "+msg)
}

// logDebug writes a debug line with --debug: to the --log file when there
// is one, otherwise to stderr, as runc does.
func logDebug(format string, args ...any) {
	if logger.debug {
		msg := fmt.Sprintf(format, args...)
		writeLog("debug", msg)
		if logger.file == nil {
			fmt.Fprintln(os.Stderr, "ocirun: debug: "+msg)
		}
	}
}
