package awssim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// ec2NobodyKey belongs to a user with no policy at all.
const ec2NobodyKey, ec2NobodySecret = "AKIANOBODY0000000001", "nobody-secret"

// startEC2Sim runs the demo account plus a policy-less user, on a clock
// the test moves.
func startEC2Sim(t *testing.T) (*Sim, *ssmClock) {
	t.Helper()
	st := DemoScenario()
	st.Users["nobody"] = &User{Name: "nobody"}
	st.AccessKeys[ec2NobodyKey] = &AccessKey{ID: ec2NobodyKey, Secret: ec2NobodySecret, UserName: "nobody"}
	clk := &ssmClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return startSim(t, st, Options{Now: clk.Now}), clk
}

func demoKey(user string) (string, string) {
	switch user {
	case "nobody":
		return ec2NobodyKey, ec2NobodySecret
	case "admin":
		return DemoAccessKey, DemoSecretKey
	}
	st := DemoScenario()
	for _, k := range st.AccessKeys {
		if k.UserName == user {
			return k.ID, k.Secret
		}
	}
	panic("no key for " + user)
}

func ec2As(s *Sim, user string) *ec2.Client {
	id, secret := demoKey(user)
	return ec2.NewFromConfig(awsConfig(s, id, secret, ""))
}

func stsAs(s *Sim, user string) *sts.Client {
	id, secret := demoKey(user)
	return sts.NewFromConfig(awsConfig(s, id, secret, ""))
}

// wantAPIError checks code, HTTP status and (when msg is not empty) that
// the message contains msg.
func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("%s: message %q does not contain %q", code, ae.ErrorMessage(), msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: want HTTP %d, got %v", code, status, err)
	}
}

func instanceIDs(out *ec2.DescribeInstancesOutput) []string {
	var ids []string
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			ids = append(ids, aws.ToString(i.InstanceId))
		}
	}
	return ids
}
