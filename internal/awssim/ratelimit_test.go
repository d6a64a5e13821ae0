package awssim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// rateClock is a hand-moved clock for the buckets, so that refills are
// asserted without sleeping.
type rateClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rateClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rateClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startRateSim(t *testing.T) (*Sim, *rateClock) {
	t.Helper()
	s := startSim(t, DemoScenario(), Options{})
	clk := &rateClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.rate.mu.Lock()
	s.rate.clock = clk.now
	s.rate.mu.Unlock()
	return s, clk
}

// rateCalls is one cheap read-only call per service, each through the real
// SDK client, with the throttling error that service answers with.
func rateCalls(s *Sim) []struct {
	op, code, msg string
	status        int
	call          func() error
} {
	cfg := awsConfig(s, DemoAccessKey, DemoSecretKey, "")
	ctx := context.Background()
	ssmc, ec2c, iamc, stsc := ssm.NewFromConfig(cfg), ec2.NewFromConfig(cfg), iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	return []struct {
		op, code, msg string
		status        int
		call          func() error
	}{
		{"ssm.DescribeInstanceInformation", "ThrottlingException", "Rate exceeded", 400, func() error {
			_, err := ssmc.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
			return err
		}},
		{"ec2.DescribeInstances", "RequestLimitExceeded", "Request limit exceeded.", 503, func() error {
			_, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}},
		{"iam.GetUser", "Throttling", "Rate exceeded", 400, func() error {
			_, err := iamc.GetUser(ctx, &iam.GetUserInput{})
			return err
		}},
		{"sts.GetCallerIdentity", "Throttling", "Rate exceeded", 400, func() error {
			_, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
	}
}

// TestRateLimitBurstThenThrottle: within one instant the bucket lets burst
// calls through and refuses the next with the service's own throttling
// code and HTTP status; the refusals are counted and still count as calls.
func TestRateLimitBurstThenThrottle(t *testing.T) {
	s, _ := startRateSim(t)
	const burst = 3
	for _, c := range rateCalls(s) {
		t.Run(c.op, func(t *testing.T) {
			s.RateLimit(c.op, 5, burst)
			for i := range burst {
				if err := c.call(); err != nil {
					t.Fatalf("call %d of a burst of %d: %v", i+1, burst, err)
				}
			}
			for range 2 {
				wantAPIError(t, c.call(), c.code, c.status, c.msg)
			}
			if got := s.Throttled(c.op); got != 2 {
				t.Errorf("Throttled(%s) = %d, want 2", c.op, got)
			}
			if got := s.Calls(c.op); got != burst+2 {
				t.Errorf("Calls(%s) = %d, want %d: refused calls are calls", c.op, got, burst+2)
			}
		})
	}
	if got := s.Throttled("*"); got != 8 {
		t.Errorf(`Throttled("*") = %d, want 8 (2 per operation)`, got)
	}
}

// TestRateLimitRefill: an empty bucket earns perSecond tokens a second, no
// more than burst, and a refused call does not spend one.
func TestRateLimitRefill(t *testing.T) {
	s, clk := startRateSim(t)
	c := rateCalls(s)[0]
	s.RateLimit(c.op, 2, 2)
	outcomes := func(n int) (ok, throttled int) {
		for range n {
			if err := c.call(); err == nil {
				ok++
			} else if apiCode(err) == c.code {
				throttled++
			} else {
				t.Fatalf("%s: %v", c.op, err)
			}
		}
		return ok, throttled
	}
	if ok, th := outcomes(4); ok != 2 || th != 2 {
		t.Fatalf("full bucket of 2: %d through, %d throttled; want 2 and 2", ok, th)
	}
	clk.add(500 * time.Millisecond) // one token at 2/s
	if ok, th := outcomes(3); ok != 1 || th != 2 {
		t.Fatalf("after 0.5 s: %d through, %d throttled; want 1 and 2", ok, th)
	}
	clk.add(time.Hour) // capped at the burst
	if ok, th := outcomes(3); ok != 2 || th != 1 {
		t.Fatalf("after an hour: %d through, %d throttled; want 2 (the burst) and 1", ok, th)
	}
	if got := s.Throttled(c.op); got != 5 {
		t.Errorf("Throttled = %d, want 5", got)
	}
}

// TestRateLimitPerOperation: "*" gives every operation a bucket of its own
// (one busy API does not starve another, as on AWS), a named limit wins over
// it, perSecond 0 never refills and burst 0 lifts the limit.
func TestRateLimitPerOperation(t *testing.T) {
	s, clk := startRateSim(t)
	calls := rateCalls(s)
	ssmCall, ec2Call, stsCall := calls[0], calls[1], calls[3]
	s.RateLimit("*", 0, 1)
	s.RateLimit(ec2Call.op, 0, 2)
	for _, c := range []struct {
		call    func() error
		op      string
		through int
	}{{ssmCall.call, ssmCall.op, 1}, {stsCall.call, stsCall.op, 1}, {ec2Call.call, ec2Call.op, 2}} {
		for i := range c.through {
			if err := c.call(); err != nil {
				t.Fatalf("%s call %d within its own bucket: %v", c.op, i+1, err)
			}
		}
		if err := c.call(); apiCode(err) == "" {
			t.Fatalf("%s call %d passed a bucket of %d: %v", c.op, c.through+1, c.through, err)
		}
	}
	clk.add(time.Hour)
	if err := ssmCall.call(); apiCode(err) != ssmCall.code {
		t.Fatalf("perSecond 0 refilled: %v", err)
	}
	s.RateLimit("*", 0, 0)
	if err := ssmCall.call(); err != nil {
		t.Fatalf("after burst 0 lifted the limit: %v", err)
	}
	if err := ec2Call.call(); apiCode(err) != ec2Call.code {
		t.Fatalf("lifting \"*\" lifted the named ec2 limit too: %v", err)
	}
	want := map[string]int{ssmCall.op: 2, stsCall.op: 1, ec2Call.op: 2}
	for op, n := range want {
		if got := s.Throttled(op); got != n {
			t.Errorf("Throttled(%s) = %d, want %d", op, got, n)
		}
	}
}
