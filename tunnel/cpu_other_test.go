//go:build !unix

package tunnel

import "time"

// processCPU is not measured without getrusage (Windows): the cpu-ns/op
// metric then reads 0.
func processCPU() time.Duration { return 0 }
