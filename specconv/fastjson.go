package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// config.json and process.json go through generated decoders first (see
// package jsonfast). After changing the runtime-spec version:
// go generate ./specconv

//go:generate go tool easyjson -disallow_unknown_fields -no_std_marshalers -output_filename fastjson_easyjson.go fastjson.go
//go:generate go run github.com/ocirun/ocirun/libcontainer/jsonfast/easyjsontrim fastjson_easyjson.go

//easyjson:json
type specJSON specs.Spec

//easyjson:json
type processJSON specs.Process
