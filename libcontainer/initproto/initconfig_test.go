package initproto_test

import (
	"encoding/json"
	"testing"

	"github.com/ocirun/ocirun/libcontainer/initproto"
	"github.com/ocirun/ocirun/libcontainer/jsonfast"
	"github.com/ocirun/ocirun/libcontainer/jsonfast/jsonfasttest"
	"github.com/ocirun/ocirun/specconv"
)

func asInitConfig(c *initproto.InitConfig) jsonfast.Decoder { return c }

func TestInitConfigDecoderKnowsEveryField(t *testing.T) {
	jsonfasttest.KnowsEveryField(t, asInitConfig, "go generate ./libcontainer/initproto")
}

// The config the runtime sends for the example bundle takes the fast path,
// to the value encoding/json gives.
func TestInitConfigDecodesFast(t *testing.T) {
	spec := specconv.Example()
	specconv.ExampleRootless(spec)
	spec.Annotations = map[string]string{"a": "b"}
	cfg, err := specconv.ToConfig(spec, specconv.Options{Bundle: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ic := initproto.InitConfig{
		Mode: initproto.ModeInit, ContainerID: "c", Config: initproto.ForStage1(cfg), Process: cfg.Process,
		ConsoleFd: -1, StartFd: 3, FinisherFd: 4,
		State: json.RawMessage(`{"ociVersion":"1.3.0","id":"c","status":"created","pid":1,"bundle":"/b"}`),
	}
	data, err := json.Marshal(&ic)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonfasttest.Agree(t, data, asInitConfig) {
		t.Fatalf("the generated decoder refuses the runtime's own config: %s", data)
	}
}
