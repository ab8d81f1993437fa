package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/ocirun/ocirun/specconv"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a default config.json to edit",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "directory to write config.json to"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config for a container started without root"},
	},
	Action: func(c *cli.Context) error {
		spec := specconv.Example()
		if c.Bool("rootless") {
			specconv.ExampleRootless(spec)
		}
		path := filepath.Join(c.String("bundle"), "config.json")
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s exists: remove it first", path)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		b, err := json.MarshalIndent(spec, "", "\t")
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if _, err := f.Write(append(b, '\n')); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		return f.Close()
	},
}
