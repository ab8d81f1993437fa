package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/libcontainer"
	"github.com/ocirun/ocirun/libcontainer/userns"
)

// containerState is what state and list --format json print: the
// runtime-spec state plus runc's rootfs, created and owner fields.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

func stateOf(ctr *libcontainer.Container) containerState {
	st := ctr.State()
	s := containerState{
		OCIVersion: specs.Version,
		ID:         st.ID,
		Status:     string(ctr.Status()),
		Bundle:     st.Bundle,
		Created:    st.Created,
	}
	if s.Status != string(libcontainer.Stopped) {
		s.Pid = st.InitPid
	}
	s.Rootfs = st.Rootfs
	s.Annotations = st.Annotations
	return s
}

// ownerUID is the uid that owns dir, in decimal; "" if it cannot be read.
// list shows the owner of each state directory, as runc's does.
func ownerUID(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return ""
	}
	return strconv.FormatUint(uint64(statUID(fi)), 10)
}

// ownerName is the user name of uid, or "#uid" when it has none; cache
// remembers the names already looked up.
func ownerName(uid string, cache map[string]string) string {
	if uid == "" {
		return ""
	}
	if name, ok := cache[uid]; ok {
		return name
	}
	name := "#" + uid
	if id, err := strconv.Atoi(uid); err == nil {
		if n, ok := userns.UserName(id); ok {
			name = n
		}
	}
	cache[uid] = name
	return name
}

var stateCommand = &cli.Command{
	Name:      "state",
	Usage:     "print the state of a container as JSON",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		id, err := containerID(c)
		if err != nil {
			return err
		}
		ctr, err := store(c).Peek(id)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(stateOf(ctr))
	},
}
