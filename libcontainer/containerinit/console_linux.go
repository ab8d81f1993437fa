package containerinit

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/rootfs"
)

// setupConsole creates a pty in the container's devpts, sends its master to
// the runtime's caller over the console socket (SCM_RIGHTS, as runc does)
// and makes the slave the process's stdio and controlling terminal. With
// mountConsole the slave is also bind-mounted over /dev/console.
func setupConsole(consoleFd int, proc *configs.Process, mountConsole bool) error {
	if consoleFd < 0 {
		return fmt.Errorf("process.terminal is set but no console socket was passed")
	}
	defer unix.Close(consoleFd)
	master, err := os.OpenFile("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer master.Close()
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("get pty number: %w", err)
	}
	slavePath := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	slave, err := unix.Open(slavePath, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open pty slave %s: %w", slavePath, err)
	}
	defer unix.Close(slave)
	// The process's user owns its terminal, as with runc (and login):
	// it may then change the terminal's mode and reopen /dev/tty. The
	// group stays the one devpts gives (tty with gid=5).
	if uid := int(proc.User.UID); uid != 0 {
		if err := unix.Fchown(slave, uid, -1); err != nil {
			return fmt.Errorf("chown pty slave %s to uid %d: %w", slavePath, uid, err)
		}
	}
	// Output reaches the engine byte for byte: no "\n" -> "\r\n", as runc.
	t, err := unix.IoctlGetTermios(slave, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get pty attributes: %w", err)
	}
	t.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(slave, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set pty attributes: %w", err)
	}
	if proc.ConsoleHeight > 0 || proc.ConsoleWidth > 0 {
		ws := &unix.Winsize{Row: proc.ConsoleHeight, Col: proc.ConsoleWidth}
		if err := unix.IoctlSetWinsize(mfd, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("set process.consoleSize: %w", err)
		}
	}
	if mountConsole {
		if err := rootfs.MountConsole(slavePath); err != nil {
			return err
		}
	}
	if err := unix.Sendmsg(consoleFd, []byte("/dev/ptmx"), unix.UnixRights(mfd), nil, 0); err != nil {
		return fmt.Errorf("send pty master over the console socket: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup pty slave to fd %d: %w", fd, err)
		}
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make the pty the controlling terminal: %w", err)
	}
	return nil
}
