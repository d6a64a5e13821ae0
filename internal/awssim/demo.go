package awssim

import (
	_ "embed"
	"fmt"
)

//go:embed testdata/demo.json
var demoScenario []byte

// DemoAccessKey is the demo's administrator key, the one `ssmdoctor sim`
// prints by default. It only opens the simulator.
const (
	DemoAccessKey = "AKIADEMOADMIN0000001"
	DemoSecretKey = "demo/admin/secret/not/a/real/key/000001"
)

// DemoScenario returns a fresh copy of the demo account: one instance per
// diagnosable problem (see each instance's Scenario and Description tags)
// and users allowed, partly allowed and denied. Callers may change it
// freely.
func DemoScenario() *State {
	st, err := ParseScenario(demoScenario)
	if err != nil {
		// The file is embedded and tested; failing here is a build defect.
		panic(fmt.Sprintf("embedded demo scenario: %v", err))
	}
	return st
}
