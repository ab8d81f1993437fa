package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocirun/ocirun/libcontainer/unixsock"
)

// SendNotifyFd hands notifyFd to the seccomp agent listening at
// listenerPath, as runtime-spec's container process state protocol says:
// one connection per state, the state as JSON with the fd attached by
// SCM_RIGHTS to the first sendmsg(2), then the connection is closed.
//
// st is sent as given except that fds is always ["seccompFd"] (exactly one
// fd is sent) and an empty ociVersion becomes specs.Version. notifyFd stays
// open; the caller closes it.
func SendNotifyFd(listenerPath string, notifyFd int, st *specs.ContainerProcessState) error {
	if listenerPath == "" {
		return errors.New("send seccomp notify fd: linux.seccomp.listenerPath is empty")
	}
	if notifyFd < 0 {
		return fmt.Errorf("send seccomp notify fd to %s: invalid fd %d", listenerPath, notifyFd)
	}
	if st == nil {
		return fmt.Errorf("send seccomp notify fd to %s: no container process state", listenerPath)
	}
	msg := *st
	msg.Fds = []string{specs.SeccompFdName}
	if msg.Version == "" {
		msg.Version = specs.Version
	}
	payload, err := json.Marshal(&msg)
	if err != nil {
		return fmt.Errorf("send seccomp notify fd to %s: encode state: %w", listenerPath, err)
	}

	conn, err := unixsock.Dial(listenerPath)
	if err != nil {
		return fmt.Errorf("send seccomp notify fd to %s: %w", listenerPath, err)
	}
	defer conn.Close()

	// A stream socket may take the payload in parts; the fd rides on the
	// first part only, which the spec allows.
	if err := unixsock.Send(conn, payload, notifyFd); err != nil {
		return fmt.Errorf("send seccomp notify fd to %s: %w", listenerPath, err)
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("send seccomp notify fd to %s: close: %w", listenerPath, err)
	}
	return nil
}
