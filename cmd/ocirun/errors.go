package main

import "errors"

var (
	errNegativePreserve = errors.New("--preserve-fds must not be negative")
)
