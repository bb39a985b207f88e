//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "time"

// processCPU is not available here: the report leaves CPU time out.
func processCPU() (time.Duration, bool) { return 0, false }
