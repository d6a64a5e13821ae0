package awssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// BenchmarkSSMDescribeInstanceInformationFleet lists a 1000-node fleet in
// pages of 50 through the SDK: the cost the doctor's fleet mode pays per
// scan (registration is recomputed from the account on every call).
func BenchmarkSSMDescribeInstanceInformationFleet(b *testing.B) {
	st := ssmFixture()
	st.Instances = map[string]*Instance{}
	st.Subnets["subnet-pub"].CidrBlock = "10.0.0.0/20"
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("i-%017x", 0x2000+i)
		st.Instances[id] = &Instance{ID: id, Region: "us-east-1", State: "running", SubnetID: "subnet-pub", VpcID: "vpc-pub",
			InstanceProfileName: "prof-core", Agent: Agent{Installed: true, Version: "3.3.1142.0"}}
	}
	s := startSim(b, st, Options{})
	c := ssmAs(s, "ops")
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		p := ssm.NewDescribeInstanceInformationPaginator(c, &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(50)})
		count := 0
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			count += len(page.InstanceInformationList)
		}
		if count != 1000 {
			b.Fatalf("listed %d", count)
		}
	}
}
