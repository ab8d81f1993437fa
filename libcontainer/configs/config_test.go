package configs

import "testing"

func TestSysctlNamespace(t *testing.T) {
	for name, want := range map[string]NamespaceType{
		"net.ipv4.ip_forward":      NEWNET,
		"kernel.domainname":        NEWUTS,
		"kernel.hostname":          NEWUTS,
		"kernel.shmmax":            NEWIPC,
		"fs.mqueue.msg_max":        NEWIPC,
		"user.max_user_namespaces": NEWUSER,
	} {
		if got := SysctlNamespace(name); got != want {
			t.Errorf("SysctlNamespace(%q) = %q, want %q", name, got, want)
		}
	}
}
