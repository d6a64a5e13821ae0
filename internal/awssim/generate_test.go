package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func TestGenerateFleetDeterministicWithMix(t *testing.T) {
	a, b := GenerateFleet(200, DefaultFleetMix, 42), GenerateFleet(200, DefaultFleetMix, 42)
	if err := a.Normalize(); err != nil {
		t.Fatal(err)
	}
	if err := b.Normalize(); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("same seed, different fleets")
	}
	c := GenerateFleet(200, DefaultFleetMix, 43)
	if fmt.Sprint(sortedKeys(c.Instances)) == fmt.Sprint(sortedKeys(a.Instances)) {
		t.Fatal("different seeds, same ids")
	}
	count := map[string]int{}
	profiles := map[string]bool{}
	for _, inst := range a.Instances {
		for _, tg := range inst.Tags {
			if tg.Key == "Scenario" {
				count[tg.Value]++
			}
		}
		if inst.InstanceProfileName != "" {
			profiles[inst.InstanceProfileName] = true
		}
	}
	want := map[string]int{"no-instance-profile": 10, "old-agent": 10, "connection-lost": 6, "stopped": 10,
		"role-without-ssm": 6, "legacy-role": 6, "private-no-endpoints": 6, "no-agent": 4}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d instances, want %d", k, count[k], n)
		}
	}
	if len(a.Instances) != 200 || count["healthy"] != 200-58 {
		t.Errorf("%d instances, %d healthy", len(a.Instances), count["healthy"])
	}
	if len(profiles) != len(fleetProfiles)+2 {
		t.Errorf("%d distinct profiles: %v", len(profiles), profiles)
	}
}

func benchmarkFleetDescribe(b *testing.B, n int) {
	s := startSim(b, GenerateFleet(n, DefaultFleetMix, 1), Options{})
	c := ec2.NewFromConfig(awsConfig(s, DemoAccessKey, DemoSecretKey, ""))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
		got := 0
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			got += len(instanceIDs(out))
		}
		if got != n {
			b.Fatalf("got %d of %d", got, n)
		}
	}
}

func BenchmarkFleetDescribeInstances1000(b *testing.B)  { benchmarkFleetDescribe(b, 1000) }
func BenchmarkFleetDescribeInstances10000(b *testing.B) { benchmarkFleetDescribe(b, 10000) }

func BenchmarkGenerateFleet10000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		st := GenerateFleet(10000, DefaultFleetMix, int64(i))
		if err := st.Normalize(); err != nil {
			b.Fatal(err)
		}
	}
}
