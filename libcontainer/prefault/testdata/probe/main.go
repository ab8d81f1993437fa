// Command probe reports, first thing in main, how much of its binary's
// writable segment and of its code is resident (TestEntryMapsTheBinaryIn).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	_ "github.com/ocirun/ocirun/libcontainer/prefault"
)

func main() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer f.Close()
	// The binary's mappings, and the anonymous one right after its
	// writable mapping: the part of the bss beyond the file's last page.
	var name string
	var size int
	afterWritable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			path := ""
			if len(fields) >= 6 {
				path = fields[5]
			}
			perms := fields[1]
			switch {
			case path == exe && perms[1] == 'w':
				name, afterWritable = "data", true
			case path == exe && perms[2] == 'x':
				name, afterWritable = "text", false
			case path == "" && afterWritable:
				name, afterWritable = "bss", false
			default:
				name, afterWritable = "", false
			}
			continue
		}
		if name == "" || len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "Size:":
			fmt.Sscan(fields[1], &size)
		case "Rss:":
			var rss int
			fmt.Sscan(fields[1], &rss)
			fmt.Printf("%s %d %d\n", name, size, rss)
		}
	}
}
