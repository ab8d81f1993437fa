// Command cri-client is a small CRI client for the engine tests: the few
// RuntimeService and ImageService calls a kubelet makes to run a pod,
// over gRPC on a unix socket. crictl is not packaged where the tests run.
//
//	cri-client [--endpoint unix:///path.sock] [--timeout 60s] COMMAND ARGS...
//
// Commands (configs are CRI messages in protobuf JSON, as crictl takes them):
//
//	version                       runtime name and version
//	images                        image list (JSON)
//	runp POD.json                 RunPodSandbox; prints the sandbox id
//	create POD_ID CTR.json POD.json   CreateContainer; prints the container id
//	start ID                      StartContainer
//	exec [--timeout S] ID CMD...  ExecSync; prints stdout and stderr, exits
//	                              with the command's exit code
//	stop [--timeout S] ID         StopContainer
//	rm ID                         RemoveContainer
//	inspect ID                    ContainerStatus (JSON)
//	inspectp ID                   PodSandboxStatus (JSON)
//	stopp ID                      StopPodSandbox
//	rmp ID                        RemovePodSandbox
//	ps [--pod ID]                 ListContainers (JSON)
//	pods                          ListPodSandbox (JSON)
//	stats ID                      ContainerStats (JSON)
//	update --memory BYTES ID      UpdateContainerResources (memory limit)
//
// A failed call prints the gRPC status and exits 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type client struct {
	rt  cri.RuntimeServiceClient
	img cri.ImageServiceClient
}

func main() {
	endpoint := flag.String("endpoint", "unix:///run/containerd/containerd.sock", "CRI endpoint")
	timeout := flag.Duration("timeout", 60*time.Second, "time limit of one call")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cri-client [--endpoint unix:///path] [--timeout D] COMMAND ARGS...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-client: connect %s: %v\n", *endpoint, err)
		os.Exit(1)
	}
	defer conn.Close()
	c := &client{rt: cri.NewRuntimeServiceClient(conn), img: cri.NewImageServiceClient(conn)}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	code, err := c.run(ctx, flag.Arg(0), flag.Args()[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-client %s: %v\n", flag.Arg(0), err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

var errUsage = errors.New("wrong arguments (see the package comment)")

func (c *client) run(ctx context.Context, cmd string, args []string) (int, error) {
	switch cmd {
	case "version":
		r, err := c.rt.Version(ctx, &cri.VersionRequest{})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r)
	case "images":
		r, err := c.img.ListImages(ctx, &cri.ListImagesRequest{})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r)
	case "runp":
		if len(args) != 1 {
			return 2, errUsage
		}
		var pod cri.PodSandboxConfig
		if err := readJSON(args[0], &pod); err != nil {
			return 1, err
		}
		r, err := c.rt.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: &pod})
		if err != nil {
			return 1, err
		}
		fmt.Println(r.PodSandboxId)
		return 0, nil
	case "create":
		if len(args) != 3 {
			return 2, errUsage
		}
		var ctr cri.ContainerConfig
		var pod cri.PodSandboxConfig
		if err := readJSON(args[1], &ctr); err != nil {
			return 1, err
		}
		if err := readJSON(args[2], &pod); err != nil {
			return 1, err
		}
		r, err := c.rt.CreateContainer(ctx, &cri.CreateContainerRequest{
			PodSandboxId: args[0], Config: &ctr, SandboxConfig: &pod,
		})
		if err != nil {
			return 1, err
		}
		fmt.Println(r.ContainerId)
		return 0, nil
	case "start":
		if len(args) != 1 {
			return 2, errUsage
		}
		_, err := c.rt.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: args[0]})
		return 0, err
	case "exec":
		fs := flag.NewFlagSet("exec", flag.ContinueOnError)
		secs := fs.Int64("timeout", 0, "seconds the command may run (0: no limit)")
		if err := fs.Parse(args); err != nil || fs.NArg() < 2 {
			return 2, errUsage
		}
		r, err := c.rt.ExecSync(ctx, &cri.ExecSyncRequest{
			ContainerId: fs.Arg(0), Cmd: fs.Args()[1:], Timeout: *secs,
		})
		if err != nil {
			return 1, err
		}
		os.Stdout.Write(r.Stdout)
		os.Stderr.Write(r.Stderr)
		return int(r.ExitCode), nil
	case "stop":
		fs := flag.NewFlagSet("stop", flag.ContinueOnError)
		secs := fs.Int64("timeout", 10, "seconds before SIGKILL")
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
			return 2, errUsage
		}
		_, err := c.rt.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: fs.Arg(0), Timeout: *secs})
		return 0, err
	case "rm":
		if len(args) != 1 {
			return 2, errUsage
		}
		_, err := c.rt.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: args[0]})
		return 0, err
	case "inspect":
		if len(args) != 1 {
			return 2, errUsage
		}
		r, err := c.rt.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: args[0]})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r.Status)
	case "inspectp":
		if len(args) != 1 {
			return 2, errUsage
		}
		r, err := c.rt.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: args[0]})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r.Status)
	case "stopp":
		if len(args) != 1 {
			return 2, errUsage
		}
		_, err := c.rt.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: args[0]})
		return 0, err
	case "rmp":
		if len(args) != 1 {
			return 2, errUsage
		}
		_, err := c.rt.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: args[0]})
		return 0, err
	case "ps":
		fs := flag.NewFlagSet("ps", flag.ContinueOnError)
		pod := fs.String("pod", "", "only the containers of this sandbox")
		if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
			return 2, errUsage
		}
		req := &cri.ListContainersRequest{}
		if *pod != "" {
			req.Filter = &cri.ContainerFilter{PodSandboxId: *pod}
		}
		r, err := c.rt.ListContainers(ctx, req)
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r)
	case "pods":
		r, err := c.rt.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r)
	case "stats":
		if len(args) != 1 {
			return 2, errUsage
		}
		r, err := c.rt.ContainerStats(ctx, &cri.ContainerStatsRequest{ContainerId: args[0]})
		if err != nil {
			return 1, err
		}
		return 0, printJSON(r.Stats)
	case "update":
		fs := flag.NewFlagSet("update", flag.ContinueOnError)
		mem := fs.String("memory", "", "memory limit in bytes")
		if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *mem == "" {
			return 2, errUsage
		}
		limit, err := strconv.ParseInt(*mem, 10, 64)
		if err != nil {
			return 2, fmt.Errorf("--memory %q: %w", *mem, err)
		}
		_, err = c.rt.UpdateContainerResources(ctx, &cri.UpdateContainerResourcesRequest{
			ContainerId: fs.Arg(0),
			Linux:       &cri.LinuxContainerResources{MemoryLimitInBytes: limit},
		})
		return 0, err
	}
	return 2, fmt.Errorf("unknown command %q", cmd)
}

func readJSON(path string, m proto.Message) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := protojson.Unmarshal(data, m); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	return nil
}

func printJSON(m proto.Message) error {
	data, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", data)
	return err
}
