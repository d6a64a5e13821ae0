package checks

import (
	"context"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// BenchmarkOnInstanceChecks: the seven on-instance checks of one instance
// against the simulator, from the permission evaluation through
// SendCommand, the polls of GetCommandInvocation (the simulated agent
// takes 0.1 s to pick the command up and 0.3 s to run it) and the parse.
// A fresh view each time: nothing is remembered between runs.
func BenchmarkOnInstanceChecks(b *testing.B) {
	st := awssim.DemoScenario()
	s := simtest.Start(b, st, awssim.Options{})
	c := simtest.Clients(b, s, st, awssim.DemoAccessKey, awsapi.Options{})
	base, _ := simEnv(b, awssim.DemoScenario(), awssim.DemoAccessKey)
	ts, err := awsfacts.ResolveTargets(context.Background(), base, []string{"i-0a11600d000000001"}, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	list := onInstanceChecks()
	b.ResetTimer()
	for range b.N {
		env := &Env{AWS: awsfacts.NewAWSEnv(c), Target: ts[0], Local: onInstanceLocal("i-0a11600d000000001", demoPublicKey),
			Options: Options{OnInstance: true, OnInstanceWait: 20 * time.Second}}
		for _, o := range Run(context.Background(), env, list, RunOptions{}) {
			if o.Result.Status == StatusError {
				b.Fatalf("%s: %s", o.ID, o.Result.Message)
			}
		}
	}
	b.ReportMetric(float64(s.Calls("ssm.GetCommandInvocation"))/float64(b.N), "polls/op")
}
