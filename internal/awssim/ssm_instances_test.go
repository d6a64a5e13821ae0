package awssim

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestSSMDescribeInstanceInformation(t *testing.T) {
	s, _ := startSSMSim(t)
	c := ssmAs(s, "ops")
	ctx := context.Background()
	all := map[string]types.InstanceInformation{}
	out, err := c.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range out.InstanceInformationList {
		all[aws.ToString(i.InstanceId)] = i
	}
	want := []string{idHealthy, idOldAgent, idLegacy, idConnLost, idStopped, idDHMC, idEndpoints, idInactive, idHybrid}
	if len(all) != len(want) {
		t.Fatalf("listed %d nodes, want %d: %v", len(all), len(want), keysOf(all))
	}
	h := all[idHealthy]
	if h.PingStatus != types.PingStatusOnline || !aws.ToTime(h.LastPingDateTime).Equal(ssmT0) || aws.ToString(h.AgentVersion) != "3.3.1142.0" ||
		!aws.ToBool(h.IsLatestVersion) || h.PlatformType != types.PlatformTypeLinux || aws.ToString(h.PlatformName) != "Amazon Linux" ||
		aws.ToString(h.PlatformVersion) != "2023" || h.ResourceType != "EC2Instance" || aws.ToString(h.IPAddress) != "10.0.0.10" ||
		aws.ToString(h.ComputerName) != "ip-10-0-0-1.ec2.internal" || aws.ToString(h.SourceId) != idHealthy || h.SourceType != types.SourceTypeAwsEc2Instance {
		t.Errorf("healthy node: %+v", h)
	}
	if cl := all[idConnLost]; cl.PingStatus != types.PingStatusConnectionLost || aws.ToTime(cl.LastPingDateTime).Format("2006-01-02T15:04:05Z") != ssmLastPingFix {
		t.Errorf("ConnectionLost node: %v %v", cl.PingStatus, cl.LastPingDateTime)
	}
	if w := all[idLegacy]; w.PlatformType != types.PlatformTypeWindows {
		t.Errorf("windows node platform %v", w.PlatformType)
	}
	m := all[idHybrid]
	if m.ResourceType != "ManagedInstance" || aws.ToString(m.ActivationId) != "act-1" || aws.ToString(m.IamRole) != "SSMServiceRole" ||
		!aws.ToTime(m.RegistrationDate).Equal(ssmT0.Add(-48*3600e9)) || m.SourceType != types.SourceTypeAwsSsmManagedinstance {
		t.Errorf("hybrid node: %+v", m)
	}

	list := func(in *ssm.DescribeInstanceInformationInput) []string {
		t.Helper()
		out, err := c.DescribeInstanceInformation(ctx, in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		var ids []string
		for _, i := range out.InstanceInformationList {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
		return ids
	}
	filterCases := []struct {
		name string
		in   *ssm.DescribeInstanceInformationInput
		want []string
	}{
		{"list InstanceIds", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "InstanceIds", ValueSet: []string{idHealthy, idNoProfile}}}}, []string{idHealthy}},
		{"unknown id is no error", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "InstanceIds", ValueSet: []string{"i-0fffffffffffffff0"}}}}, nil},
		{"list PingStatus", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "PingStatus", ValueSet: []string{"ConnectionLost", "Inactive"}}}}, []string{idConnLost, idStopped, idInactive}},
		{"list ResourceType", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "ResourceType", ValueSet: []string{"ManagedInstance"}}}}, []string{idHybrid}},
		{"list PlatformTypes", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "PlatformTypes", ValueSet: []string{"Windows"}}}}, []string{idLegacy}},
		{"list AgentVersion", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "AgentVersion", ValueSet: []string{"2.3.500.0"}}}}, []string{idOldAgent}},
		{"Filters InstanceIds", &ssm.DescribeInstanceInformationInput{Filters: []types.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{idHybrid}}}}, []string{idHybrid}},
		{"Filters tag", &ssm.DescribeInstanceInformationInput{Filters: []types.InstanceInformationStringFilter{{Key: aws.String("tag:Env"), Values: []string{"prod", "dev"}}}}, []string{idHealthy, idOldAgent}},
		{"Filters and list combine", &ssm.DescribeInstanceInformationInput{
			Filters:                       []types.InstanceInformationStringFilter{{Key: aws.String("tag:Env"), Values: []string{"prod", "dev"}}},
			InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "AgentVersion", ValueSet: []string{"2.3.500.0"}}}}, []string{idOldAgent}},
	}
	for _, fc := range filterCases {
		got := list(fc.in)
		sort.Strings(got)
		w := append([]string(nil), fc.want...)
		sort.Strings(w)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: got %v, want %v", fc.name, got, w)
		}
	}

	errCases := []struct {
		name, code string
		in         *ssm.DescribeInstanceInformationInput
	}{
		{"malformed id", "InvalidInstanceInformationFilterValue", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "InstanceIds", ValueSet: []string{"i-xyz"}}}}},
		{"bad list key", "InvalidInstanceInformationFilterValue", &ssm.DescribeInstanceInformationInput{InstanceInformationFilterList: []types.InstanceInformationFilter{{Key: "Colour", ValueSet: []string{"x"}}}}},
		{"bad Filters key", "InvalidFilterKey", &ssm.DescribeInstanceInformationInput{Filters: []types.InstanceInformationStringFilter{{Key: aws.String("Colour"), Values: []string{"x"}}}}},
		{"MaxResults 4", "ValidationException", &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(4)}},
		{"MaxResults 51", "ValidationException", &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(51)}},
		{"foreign token", "InvalidNextToken", &ssm.DescribeInstanceInformationInput{NextToken: aws.String("bm9wZQ")}},
	}
	for _, ec := range errCases {
		if _, err := c.DescribeInstanceInformation(ctx, ec.in); apiCode(err) != ec.code {
			t.Errorf("%s: got %v, want %s", ec.name, err, ec.code)
		}
	}

	// Each region sees its own nodes.
	eu, err := ssmAsRegion(s, "ops", "eu-west-1").DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
	if err != nil || len(eu.InstanceInformationList) != 1 || aws.ToString(eu.InstanceInformationList[0].InstanceId) != idOtherRegion {
		t.Errorf("eu-west-1: %v %+v", err, eu)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSSMDescribeInstanceInformationPagination walks a fleet of 60 with the
// SDK's paginator at the largest page size.
func TestSSMDescribeInstanceInformationPagination(t *testing.T) {
	st := ssmFixture()
	st.Instances = map[string]*Instance{}
	for i := 0; i < 60; i++ {
		id := fmt.Sprintf("i-%017x", 0x1000+i)
		st.Instances[id] = &Instance{ID: id, Region: "us-east-1", State: "running", SubnetID: "subnet-pub", VpcID: "vpc-pub",
			InstanceProfileName: "prof-core", Agent: Agent{Installed: true, Version: "3.3.1142.0"}}
	}
	s := startSim(t, st, Options{})
	p := ssm.NewDescribeInstanceInformationPaginator(ssmAs(s, "ops"), &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(50)})
	seen := map[string]bool{}
	var sizes []int
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.InstanceInformationList))
		for _, i := range page.InstanceInformationList {
			seen[aws.ToString(i.InstanceId)] = true
		}
	}
	if fmt.Sprint(sizes) != "[50 10]" || len(seen) != 60 {
		t.Fatalf("pages %v, %d distinct nodes", sizes, len(seen))
	}
	if n := s.Calls("ssm.DescribeInstanceInformation"); n != 2 {
		t.Fatalf("calls = %d", n)
	}
}

func TestSSMGetConnectionStatus(t *testing.T) {
	s, _ := startSSMSim(t)
	c := ssmAs(s, "ops")
	for id, want := range map[string]types.ConnectionStatus{
		idHealthy: "connected", idHybrid: "connected", idStopped: "notconnected", idConnLost: "notconnected",
		idPrivate: "notconnected", "i-0fffffffffffffff0": "notconnected", idOtherRegion: "notconnected",
	} {
		out, err := c.GetConnectionStatus(context.Background(), &ssm.GetConnectionStatusInput{Target: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != want || aws.ToString(out.Target) != id {
			t.Errorf("%s: %s %s, want %s", id, aws.ToString(out.Target), out.Status, want)
		}
	}
}
