package configs_test

import (
	"testing"

	"github.com/ocirun/ocirun/libcontainer/configs"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/jsonfast/jsonfasttest"
	"github.com/ocirun/ocirun/specconv"
)

func asEncoder(c *configs.Config) jsonfast.Encoder { return c }
func asDecoder(c *configs.Config) jsonfast.Decoder { return c }

const regenerate = "go generate ./libcontainer/configs"

func TestConfigEncoderKnowsEveryField(t *testing.T) {
	jsonfasttest.EncodesEveryField(t, asEncoder, regenerate)
	jsonfasttest.KnowsEveryField(t, asDecoder, regenerate)
}

// The configs of the example bundles, with their maps of several keys,
// encode to what encoding/json reads back whole, and decode fast.
func TestConfigEncodeAgrees(t *testing.T) {
	for _, rootless := range []bool{false, true} {
		spec := specconv.Example()
		if rootless {
			specconv.ExampleRootless(spec)
		}
		spec.Annotations = map[string]string{"a": "1", "b": "<&>", "c": "\u2028"}
		spec.Linux.Sysctl = map[string]string{"kernel.msgmax": "8192", "kernel.shmmax": "1"}
		cfg, err := specconv.ToConfig(spec, specconv.Options{Bundle: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		jsonfasttest.EncodeAgrees(t, cfg, asEncoder)
		data, err := jsonfast.Encode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonfasttest.Agree(t, data, asDecoder) {
			t.Fatalf("the generated decoder refuses what the generated encoder wrote: %s", data)
		}
	}
}
