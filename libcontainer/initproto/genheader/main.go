// Command genheader writes initproto.h, the C view of package initproto's
// wire definitions (see wire.go there). Run through "go generate".
package main

import (
	"fmt"
	"os"

	"github.com/ocirun/ocirun/libcontainer/initproto"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genheader FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(initproto.CHeader()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genheader:", err)
		os.Exit(1)
	}
}
