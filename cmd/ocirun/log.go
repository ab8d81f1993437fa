package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/smallfile"
)

// The log channel engines read: containerd shows the last "error" line of
// the --log file, conmon its msg; podman without JSON support reads stderr.
var logger struct {
	file    *os.File
	json    bool
	level   logLevel
	command string // for the timings line
}

// logLevel orders the severities --log-level names; errors are always
// reported.
type logLevel int

const (
	levelDebug logLevel = iota
	levelInfo
	levelWarning
	levelError
)

var logLevels = map[string]logLevel{
	"debug": levelDebug, "info": levelInfo, "warning": levelWarning, "warn": levelWarning, "error": levelError,
}

// timingsEnv turns --timings on for engines, which do not pass the flag.
const timingsEnv = "OCIRUN_TIMINGS"

// started is when main began: the timings count from it.
var started time.Time

// logTimings writes the phases timed so far as one debug line, once,
// whether or not --debug is set: asking for timings is asking for it.
func logTimings() {
	t := libcontainer.Timer
	if t == nil {
		return
	}
	libcontainer.Timer = nil
	msg := "timings " + logger.command + ": " + t.String()
	writeLog("debug", msg)
	if logger.file == nil {
		fmt.Fprintln(os.Stderr, "ocirun: debug: "+msg)
	}
}

func setupLogging(c *cli.Context) error {
	switch f := c.String("log-format"); f {
	case "text":
	case "json":
		logger.json = true
	default:
		return fmt.Errorf("--log-format: unknown format %q (text or json)", f)
	}
	level, ok := logLevels[c.String("log-level")]
	if !ok {
		return fmt.Errorf("--log-level: unknown level %q (debug, info, warning or error)", c.String("log-level"))
	}
	if c.Bool("debug") {
		level = levelDebug
	}
	logger.level = level
	if c.Bool("timings") {
		libcontainer.Timer = libcontainer.NewTimings(started)
		logger.command = c.Args().First()
	}
	if p := c.String("log"); p != "" {
		f, err := smallfile.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_APPEND|unix.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open --log file %s: %w", p, err)
		}
		logger.file = f
	}
	if logger.level == levelDebug {
		logDebug("%s %s, version %s: %s", c.App.Name, strings.Join(os.Args[1:], " "), version, stateRoot(c))
	}
	switch r := c.String("rootless"); r {
	case "auto", "false", "true":
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
	err = withFlagHint(err)
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	writeLog("error", msg)
	fmt.Fprintln(os.Stderr, "ocirun: "+msg)
}

func logWarn(msg string) {
	if logger.level > levelWarning {
		return
	}
	writeLog("warning", msg)
	fmt.Fprintln(os.Stderr, "ocirun: warning: "+msg)
}

// logDebug writes a debug line with --debug: to the --log file when there
// is one, otherwise to stderr, as runc does.
func logDebug(format string, args ...any) {
	if logger.level == levelDebug {
		msg := fmt.Sprintf(format, args...)
		writeLog("debug", msg)
		if logger.file == nil {
			fmt.Fprintln(os.Stderr, "ocirun: debug: "+msg)
		}
	}
}
