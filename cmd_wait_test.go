package main

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

const (
	demoStopped   = "i-0ff00000000000008"
	demoNoProfile = "i-0bad0000000000003"
	demoCarolKey  = "AKIADEMOCAROL0000001" // explicitly denied ssm:StartSession
)

// fastPolling makes wait look every 50-200ms for the test.
func fastPolling(t *testing.T) {
	t.Helper()
	saved := waitPolling
	waitPolling = backoff{first: 50 * time.Millisecond, max: 200 * time.Millisecond, factor: 2, jitter: 0.2}
	t.Cleanup(func() { waitPolling = saved })
}

func TestBackoffGrowsCapsAndJitters(t *testing.T) {
	mid := backoff{first: 2 * time.Second, max: 20 * time.Second, factor: 1.5, jitter: 0.2, rnd: func() float64 { return 0.5 }}
	var got []time.Duration
	for range 8 {
		got = append(got, mid.Next())
	}
	want := []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond,
		10125 * time.Millisecond, 15187500 * time.Microsecond, 20 * time.Second, 20 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("interval %d = %s, want %s (all: %v)", i, got[i], want[i], got)
		}
	}
	low := backoff{first: 10 * time.Second, max: 10 * time.Second, factor: 2, jitter: 0.2, rnd: func() float64 { return 0 }}
	high := backoff{first: 10 * time.Second, max: 10 * time.Second, factor: 2, jitter: 0.2, rnd: func() float64 { return 0.999999 }}
	if l, h := low.Next(), high.Next(); l != 8*time.Second || h < 11999*time.Millisecond || h > 12*time.Second {
		t.Fatalf("jitter bounds: %s .. %s, want 8s .. 12s", l, h)
	}
	// The production schedule is spread: two waits do not poll in step.
	a, b := waitPolling, waitPolling
	same := 0
	for range 5 {
		if a.Next() == b.Next() {
			same++
		}
	}
	if same == 5 {
		t.Fatal("the production schedule is not jittered")
	}
}

func TestWaitUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"wait"}, "error: wait: no TARGET given"},
		{[]string{"wait", "i-0a11600d000000001", "--for", "dawn"}, `error: wait: unknown --for "dawn"`},
		{[]string{"wait", "web;rm"}, `error: wait: malformed target "web;rm"`},
		{[]string{"wait", "i-0a11600d000000001", "--format", "xml"}, `error: wait: unknown --format "xml"`},
		{[]string{"wait", "i-0a11600d000000001", "--timeout", "-1s"}, "error: --timeout must not be negative"},
	} {
		r := runInProcess(t, tc.args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "\nhint: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

func TestWaitHealthyReturnsAtOnce(t *testing.T) {
	demoInProcess(t, awssim.DemoAccessKey, nil)
	for _, goal := range []string{"running", "online"} {
		start := time.Now()
		r := runInProcess(t, "wait", demoHealthy, "--for", goal)
		if r.code != exitOK || !regexp.MustCompile(`^i-0a11600d000000001 \(demo-healthy\): `+goal+` after [0-9.]+m?s\n$`).MatchString(r.stdout) {
			t.Fatalf("--for %s: exit %d\nstdout %q\nstderr %q", goal, r.code, r.stdout, r.stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("--for %s took %s: a healthy instance should need one look", goal, d)
		}
	}
}

func TestWaitForSSHReadsTheBanner(t *testing.T) {
	addr := bannerPort(t, "SSH-2.0-OpenSSH_9.9 waittest\r\n")
	demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) {
		st.Instances[demoHealthy].Ports = map[string]string{"22": addr}
	})
	r := runInProcess(t, "wait", demoHealthy, "--for", "ssh", "--timeout", "1m")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "i-0a11600d000000001 (demo-healthy): ssh after ") ||
		!strings.Contains(r.stderr, "wait: i-0a11600d000000001 (demo-healthy): sshd answered: SSH-2.0-OpenSSH_9.9 waittest\n") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

// A stopped instance that someone starts while wait polls is reached once
// it runs and its agent registers.
func TestWaitStoppedInstanceStartedMeanwhile(t *testing.T) {
	fastPolling(t)
	st := awssim.DemoScenario()
	sim := simtest.Start(t, st, awssim.Options{})
	sim.SetStartDelay(400 * time.Millisecond) // a visible pending state
	key := st.AccessKeys[awssim.DemoAccessKey]
	inProcessAWS(t, sim.URL(), key.ID, key.Secret)
	t.Setenv("AWS_REGION", "us-east-1")
	starter := simtest.Clients(t, sim, st, awssim.DemoAccessKey, awsapi.Options{})

	started := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond)
		_, err := starter.EC2.StartInstances(context.Background(), &ec2.StartInstancesInput{InstanceIds: []string{demoStopped}})
		started <- err
	}()
	begin := time.Now()
	r := runInProcess(t, "wait", demoStopped, "--timeout", "1m")
	if err := <-started; err != nil {
		t.Fatalf("StartInstances: %v", err)
	}
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "i-0ff00000000000008 (demo-stopped): online after ") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if d := time.Since(begin); d < 800*time.Millisecond {
		t.Fatalf("reached after %s, before the instance could have run", d)
	}
	// One line per change of state, in order.
	want := []string{"stopped", "pending", "online"}
	var seen []string
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		seen = append(seen, strings.TrimPrefix(line, "wait: i-0ff00000000000008 (demo-stopped): "))
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("progress lines %q, want %q\n%s", seen, want, r.stderr)
	}
}

func TestWaitNeverRegistersTimesOutWithTheReport(t *testing.T) {
	fastPolling(t)
	demoInProcess(t, awssim.DemoAccessKey, nil)
	start := time.Now()
	r := runInProcess(t, "wait", demoNoProfile, "--timeout", "1500ms", "--format", "json")
	elapsed := time.Since(start)
	if r.code != exitProblems {
		t.Fatalf("exit %d, want 1\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if elapsed < 1500*time.Millisecond || elapsed > 30*time.Second {
		t.Fatalf("ended after %s; the timeout was 1.5s", elapsed)
	}
	wantErr := "error: wait: not online within 1.5s: i-0bad0000000000003 (demo-no-profile): running, not registered with Systems Manager yet\n"
	if !strings.Contains(r.stderr, wantErr) || !strings.Contains(r.stderr, "hint: the report above says what is still missing") {
		t.Fatalf("stderr %q, want %q", r.stderr, wantErr)
	}
	cs := reportChecks(t, runResult{r.code, r.stdout, r.stderr})
	if len(cs) != 1 {
		t.Fatalf("report of %d targets, want 1", len(cs))
	}
	if c := outcome(t, cs[0], "instance-profile"); c.Status != "fail" || c.Fix == "" {
		t.Fatalf("instance-profile: %+v, want a failure with its fix", c)
	}
	if c := outcome(t, cs[0], "instance-registered"); c.Status != "fail" && c.Status != "skip" {
		t.Fatalf("instance-registered: %+v", c)
	}
}

func TestWaitTerminatedEndsAtOnce(t *testing.T) {
	demoInProcess(t, awssim.DemoAccessKey, func(st *awssim.State) { st.Instances[demoHealthy].State = "terminated" })
	start := time.Now()
	r := runInProcess(t, "wait", demoHealthy, "--timeout", "10m")
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s: waiting for a terminated instance cannot help", d)
	}
	want := "error: wait: waiting cannot help: i-0a11600d000000001 (demo-healthy): the instance is terminated: it will not run again\n"
	if r.code != exitProblems || !strings.Contains(r.stderr, want) || !strings.Contains(r.stdout, "instance-exists") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant %q and the report", r.code, r.stdout, r.stderr, want)
	}
}

// A target EC2 does not know is looked for again during the grace (it
// may have been launched a moment ago), then is an error.
func TestWaitUnknownTargetEndsAfterTheGrace(t *testing.T) {
	fastPolling(t)
	saved := waitUnknownGrace
	waitUnknownGrace = 700 * time.Millisecond
	t.Cleanup(func() { waitUnknownGrace = saved })
	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	sim.ResetCalls()
	start := time.Now()
	r := runInProcess(t, "wait", "i-0123456789abcdef9", "--region", "us-east-1", "--timeout", "10m")
	if d := time.Since(start); d < 700*time.Millisecond || d > 30*time.Second {
		t.Errorf("ended after %s; the grace was 700ms", d)
	}
	if r.code != exitProblems || r.stdout != "" ||
		!strings.Contains(r.stderr, `error: wait: no instance matches "i-0123456789abcdef9" in us-east-1`) ||
		strings.Count(r.stderr, "wait: i-0123456789abcdef9: not known to EC2 yet") != 1 {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if n := sim.Calls("ec2.DescribeInstances"); n < 2 {
		t.Errorf("%d DescribeInstances calls: the target was not looked for again", n)
	}
}

// An instance launched just before wait, not yet visible to EC2's reads,
// is waited for once it appears.
func TestWaitLaunchedMeanwhile(t *testing.T) {
	fastPolling(t)
	const fresh = "i-0fe5a000000000001"
	sim := demoInProcess(t, awssim.DemoAccessKey, nil)
	go func() {
		time.Sleep(400 * time.Millisecond)
		sim.WithState(func(st *awssim.State) {
			in := *st.Instances[demoHealthy] // as the simulator holds it
			in.ID = fresh
			in.Tags = []awssim.Tag{{Key: "Name", Value: "fresh"}}
			st.Instances[fresh] = &in
		})
	}()
	r := runInProcess(t, "wait", fresh, "--for", "running", "--region", "us-east-1", "--timeout", "1m")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, fresh+" (fresh): running after ") ||
		!strings.Contains(r.stderr, "wait: "+fresh+": not known to EC2 yet") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestWaitStartSessionDeniedEndsAtOnce(t *testing.T) {
	addr := bannerPort(t, "SSH-2.0-OpenSSH_9.9\r\n")
	demoInProcess(t, demoCarolKey, func(st *awssim.State) {
		st.Instances[demoHealthy].Ports = map[string]string{"22": addr}
	})
	start := time.Now()
	r := runInProcess(t, "wait", demoHealthy, "--for", "ssh", "--timeout", "10m", "--format", "json")
	if d := time.Since(start); d > 60*time.Second {
		t.Fatalf("took %s", d)
	}
	if r.code != exitProblems || !strings.Contains(r.stderr, "error: wait: waiting cannot help: i-0a11600d000000001 (demo-healthy): you may not start a session: ") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, r.stdout)
	}
	if c := outcome(t, reportChecks(t, runResult{r.code, r.stdout, r.stderr})[0], "caller-start-session"); c.Status != "fail" {
		t.Fatalf("caller-start-session: %+v", c)
	}
}

func TestWaitInterruptedExits130(t *testing.T) {
	fastPolling(t)
	demoInProcess(t, awssim.DemoAccessKey, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(700*time.Millisecond, cancel)
	var stdout, stderr strings.Builder
	code := run(ctx, []string{"ssmdoctor", "wait", demoNoProfile}, strings.NewReader(""), &stdout, &stderr)
	if code != exitInterrupted || stdout.String() != "" || !strings.Contains(stderr.String(), "error: wait: interrupted\n") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout.String(), stderr.String())
	}
}

// bannerPort is a loopback port that greets like sshd and then waits for
// the client to hang up.
func bannerPort(t *testing.T, banner string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte(banner))
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	return l.Addr().String()
}
