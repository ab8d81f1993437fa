package containerinit

import (
	"testing"

	"github.com/ocirun/ocirun/libcontainer/configs"
)

func TestSysctlPath(t *testing.T) {
	for name, want := range map[string]string{
		"net.ipv4.ip_forward":              "net/ipv4/ip_forward",
		"net.ipv4.conf.eth0/100.rp_filter": "net/ipv4/conf/eth0.100/rp_filter",
		"kernel.msgmax":                    "kernel/msgmax",
		"fs.mqueue.msg_max":                "fs/mqueue/msg_max",
	} {
		if got := sysctlPath(name); got != want {
			t.Errorf("sysctlPath(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestSysctlNamespace(t *testing.T) {
	for name, want := range map[string]configs.NamespaceType{
		"net.ipv4.ip_forward": configs.NEWNET,
		"kernel.domainname":   configs.NEWUTS,
		"kernel.shmmax":       configs.NEWIPC,
		"fs.mqueue.msg_max":   configs.NEWIPC,
	} {
		if got := sysctlNamespace(name); got != want {
			t.Errorf("sysctlNamespace(%q) = %q, want %q", name, got, want)
		}
	}
}
