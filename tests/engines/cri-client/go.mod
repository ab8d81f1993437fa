module github.com/ocirun/ocirun/tests/engines/cri-client

go 1.26.0

require (
	github.com/containerd/go-runc v1.2.1
	github.com/opencontainers/runtime-spec v1.1.0
	golang.org/x/sys v0.48.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
	k8s.io/cri-api v0.37.2
)

require (
	github.com/containerd/console v1.0.5 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
)
