package awssim

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

const (
	demoHealthy   = "i-0a11600d000000001"
	demoNoProfile = "i-0bad0000000000003"
	demoIsolated  = "i-0bad0000000000007"
	demoStopped   = "i-0ff00000000000008"
	demoDHMC      = "i-0a11600d000000009"
	demoPrivateEP = "i-0a11600d00000000a"
)

func TestEC2DescribeInstancesShape(t *testing.T) {
	s, _ := startEC2Sim(t)
	ctx := context.Background()
	out, err := ec2As(s, "alice").DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	ids := instanceIDs(out)
	if len(ids) != 12 {
		t.Fatalf("got %d instances, want the demo's 12 EC2 instances: %v", len(ids), ids)
	}
	for _, id := range ids {
		if strings.HasPrefix(id, "mi-") {
			t.Fatalf("hybrid node %s in DescribeInstances", id)
		}
	}
	byID := map[string]types.Instance{}
	for _, r := range out.Reservations {
		if aws.ToString(r.OwnerId) != "123456789012" || !strings.HasPrefix(aws.ToString(r.ReservationId), "r-") {
			t.Fatalf("reservation %+v", r)
		}
		for _, i := range r.Instances {
			byID[aws.ToString(i.InstanceId)] = i
		}
	}
	h := byID[demoHealthy]
	if h.State.Name != types.InstanceStateNameRunning || aws.ToInt32(h.State.Code) != 16 {
		t.Errorf("state %+v", h.State)
	}
	if h.IamInstanceProfile == nil || aws.ToString(h.IamInstanceProfile.Arn) != "arn:aws:iam::123456789012:instance-profile/SSMInstanceProfile" ||
		!strings.HasPrefix(aws.ToString(h.IamInstanceProfile.Id), "AIPA") {
		t.Errorf("profile %+v", h.IamInstanceProfile)
	}
	if h.MetadataOptions == nil || h.MetadataOptions.HttpTokens != types.HttpTokensStateRequired || aws.ToInt32(h.MetadataOptions.HttpPutResponseHopLimit) != 2 ||
		h.MetadataOptions.HttpEndpoint != types.InstanceMetadataEndpointStateEnabled {
		t.Errorf("metadata %+v", h.MetadataOptions)
	}
	if aws.ToString(h.PrivateDnsName) != "ip-10-0-1-10.ec2.internal" || aws.ToString(h.PrivateIpAddress) != "10.0.1.10" || aws.ToString(h.PublicIpAddress) == "" {
		t.Errorf("addresses %v %v %v", aws.ToString(h.PrivateDnsName), aws.ToString(h.PrivateIpAddress), aws.ToString(h.PublicIpAddress))
	}
	if aws.ToString(h.VpcId) != "vpc-0a11600d000000001" || aws.ToString(h.SubnetId) != "subnet-0a11600d000000001" ||
		aws.ToString(h.Placement.AvailabilityZone) != "us-east-1a" || aws.ToString(h.PlatformDetails) != "Linux/UNIX" {
		t.Errorf("placement %+v", h)
	}
	if len(h.SecurityGroups) != 1 || aws.ToString(h.SecurityGroups[0].GroupName) != "demo-instances" {
		t.Errorf("groups %+v", h.SecurityGroups)
	}
	tags := map[string]string{}
	for _, tg := range h.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if tags["Name"] != "demo-healthy" || tags["Scenario"] != "healthy" {
		t.Errorf("tags %v", tags)
	}
	if st := byID[demoStopped]; aws.ToInt32(st.State.Code) != 80 || st.PublicIpAddress != nil {
		t.Errorf("stopped instance %+v public %v", st.State, aws.ToString(st.PublicIpAddress))
	}
	if np := byID[demoNoProfile]; np.IamInstanceProfile != nil {
		t.Errorf("no-profile instance has %+v", np.IamInstanceProfile)
	}
	// Another region sees none of them.
	other := ec2As(s, "alice")
	eu, err := other.DescribeInstances(ctx, &ec2.DescribeInstancesInput{}, func(o *ec2.Options) { o.Region = "eu-west-1" })
	if err != nil || len(eu.Reservations) != 0 {
		t.Fatalf("eu-west-1: %v %d", err, len(eu.Reservations))
	}
}

func TestEC2DescribeInstancesFilters(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "alice")
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	cases := []struct {
		name    string
		ids     []string
		filters []types.Filter
		want    []string
	}{
		{"instance-id", nil, []types.Filter{f("instance-id", demoHealthy, demoDHMC)}, []string{demoHealthy, demoDHMC}},
		{"instance-state-name", nil, []types.Filter{f("instance-state-name", "stopped")}, []string{demoStopped}},
		{"tag:KEY", nil, []types.Filter{f("tag:Scenario", "dhmc-managed", "healthy")}, []string{demoHealthy, demoDHMC}},
		{"tag wildcard", nil, []types.Filter{f("tag:Name", "demo-private-*")}, []string{demoPrivateEP}},
		{"tag-key", nil, []types.Filter{f("tag-key", "Scenario")}, nil}, // every instance: checked by count below
		{"private-ip-address", nil, []types.Filter{f("private-ip-address", "10.0.2.10")}, []string{demoPrivateEP}},
		{"private-dns-name", nil, []types.Filter{f("private-dns-name", "ip-10-1-1-10.ec2.internal")}, []string{demoIsolated}},
		{"vpc-id", nil, []types.Filter{f("vpc-id", "vpc-0bad0000000000007")}, []string{demoIsolated}},
		{"subnet-id", nil, []types.Filter{f("subnet-id", "subnet-0a11600d000000002")}, []string{demoPrivateEP}},
		{"ids and filter", []string{demoHealthy, demoStopped}, []types.Filter{f("instance-state-name", "running")}, []string{demoHealthy}},
		{"filters AND", nil, []types.Filter{f("subnet-id", "subnet-0a11600d000000001"), f("instance-state-name", "stopped")}, []string{demoStopped}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: tc.ids, Filters: tc.filters})
			if err != nil {
				t.Fatal(err)
			}
			got := instanceIDs(out)
			sort.Strings(got)
			if tc.want == nil {
				if len(got) != 12 {
					t.Fatalf("got %d", len(got))
				}
				return
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
	t.Run("ip-address", func(t *testing.T) {
		var pub string
		s.WithState(func(st *State) { pub = st.Instances[demoHealthy].PublicIP })
		out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{Filters: []types.Filter{f("ip-address", pub)}})
		if err != nil || strings.Join(instanceIDs(out), ",") != demoHealthy {
			t.Fatalf("%v %v", err, instanceIDs(out))
		}
	})
}

func TestEC2DescribeInstancesErrors(t *testing.T) {
	s, _ := startEC2Sim(t)
	c := ec2As(s, "alice")
	ctx := context.Background()
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", 400, "The instance ID 'i-0123456789abcdef0' does not exist")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0", "i-0123456789abcdef1", demoHealthy}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", 400, "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-nothex"}})
	wantAPIError(t, err, "InvalidInstanceID.Malformed", 400, `Invalid id: "i-nothex"`)
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"mi-0c0ffee0000000001"}})
	wantAPIError(t, err, "InvalidInstanceID.Malformed", 400, `Invalid id: "mi-0c0ffee0000000001"`)
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{demoHealthy}, MaxResults: aws.Int32(5)})
	wantAPIError(t, err, "InvalidParameterCombination", 400, "The parameter instancesSet cannot be used with the parameter maxResults")
	for _, n := range []int32{4, 1001} {
		_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(n)})
		wantAPIError(t, err, "InvalidParameterValue", 400, "for parameter maxResults is invalid")
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	wantAPIError(t, err, "InvalidParameterValue", 400, "The filter 'bogus' is invalid")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{NextToken: aws.String("garbage")})
	wantAPIError(t, err, "InvalidNextToken", 400, "")
	// An instance of another region does not exist here.
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{demoHealthy}}, func(o *ec2.Options) { o.Region = "us-west-2" })
	wantAPIError(t, err, "InvalidInstanceID.NotFound", 400, demoHealthy)
}

func TestEC2DescribeInstancesPagination(t *testing.T) {
	st := GenerateFleet(23, DefaultFleetMix, 7)
	s := startSim(t, st, Options{})
	id, secret := demoKey("admin")
	c := ec2.NewFromConfig(awsConfig(s, id, secret, ""))
	seen := map[string]int{}
	pages := 0
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		ids := instanceIDs(out)
		if len(ids) > 5 {
			t.Fatalf("page of %d", len(ids))
		}
		for _, id := range ids {
			seen[id]++
		}
	}
	if pages != 5 || len(seen) != 23 {
		t.Fatalf("pages %d, distinct ids %d", pages, len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", id, n)
		}
		if _, ok := st.Instances[id]; !ok {
			t.Fatalf("unknown id %s", id)
		}
	}
	if s.Calls("ec2.DescribeInstances") != 5 {
		t.Fatalf("calls %d", s.Calls("ec2.DescribeInstances"))
	}
}

func TestEC2StartInstances(t *testing.T) {
	s, clk := startEC2Sim(t)
	c := ec2As(s, "admin")
	ctx := context.Background()
	out, err := c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{demoStopped, demoHealthy}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.InstanceStateChange{}
	for _, ch := range out.StartingInstances {
		got[aws.ToString(ch.InstanceId)] = ch
	}
	if ch := got[demoStopped]; ch.CurrentState.Name != types.InstanceStateNamePending || aws.ToInt32(ch.CurrentState.Code) != 0 ||
		ch.PreviousState.Name != types.InstanceStateNameStopped || aws.ToInt32(ch.PreviousState.Code) != 80 {
		t.Fatalf("stopped -> %+v / %+v", ch.CurrentState, ch.PreviousState)
	}
	if ch := got[demoHealthy]; ch.CurrentState.Name != types.InstanceStateNameRunning || ch.PreviousState.Name != types.InstanceStateNameRunning {
		t.Fatalf("running -> %+v / %+v", ch.CurrentState, ch.PreviousState)
	}
	state := func() types.InstanceStateName {
		d, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{demoStopped}})
		if err != nil {
			t.Fatal(err)
		}
		return d.Reservations[0].Instances[0].State.Name
	}
	if st := state(); st != types.InstanceStateNamePending {
		t.Fatalf("before the delay: %s", st)
	}
	clk.Advance(DefaultStartDelay)
	if st := state(); st != types.InstanceStateNameRunning {
		t.Fatalf("after the delay: %s", st)
	}
	var lastPing time.Time
	s.WithState(func(st *State) { lastPing = st.Instances[demoStopped].Agent.LastPing })
	if !lastPing.Equal(clk.Now()) {
		t.Fatalf("agent last ping %v, want %v", lastPing, clk.Now())
	}

	s.WithState(func(st *State) { st.Instances[demoDHMC].State = "terminated" })
	_, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{demoDHMC}})
	wantAPIError(t, err, "IncorrectInstanceState", 400, "is not in a state from which it can be started")
	_, err = c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", 400, "i-0123456789abcdef0")
}
