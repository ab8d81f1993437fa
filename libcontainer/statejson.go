package libcontainer

import "github.com/ocirun/ocirun/libcontainer/cgroups"

// Every create writes the container's state files, and every other command
// reads them, each in a process of its own: with encoding/json each pays
// for building the types' encoders or decoders by reflection first. So
// they go through code generated from the types (package jsonfast); after
// changing State, cgroups.State or initRecord: go generate ./libcontainer
//
//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename statejson_easyjson.go statejson.go
//go:generate go run github.com/ocirun/ocirun/libcontainer/jsonfast/easyjsontrim -encoders statejson_easyjson.go

//easyjson:json
type stateJSON State

//easyjson:json
type cgroupStateJSON cgroups.State

// initRecord is the content of initFile.
//
//easyjson:json
type initRecord struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
}
