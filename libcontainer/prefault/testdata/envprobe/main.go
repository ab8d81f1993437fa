// Command envprobe prints, as JSON, what its runtime and its code see of its
// start (TestEntrySetsOneP, package prefault).
package main

import (
	"encoding/json"
	"os"
	"runtime"

	"github.com/ocirun/ocirun/libcontainer/gomaxprocs"
	_ "github.com/ocirun/ocirun/libcontainer/prefault"
)

func main() {
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"gomaxprocs": runtime.GOMAXPROCS(0),
		"fromEntry":  gomaxprocs.FromEntry(),
		"args":       os.Args[1:],
		"env":        os.Environ(),
		"pageSize":   os.Getpagesize(),
	})
}
