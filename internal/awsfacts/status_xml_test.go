package awsfacts

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
	"github.com/ssmdoctor/ssmdoctor/internal/awssim/simtest"
)

// projectStatuses is the SDK's decoding of a status page cut down to the
// decoded fields: what decodeStatusPage must return.
func projectStatuses(t *testing.T, o *ec2.DescribeInstanceStatusOutput) *ec2.DescribeInstanceStatusOutput {
	t.Helper()
	out := &ec2.DescribeInstanceStatusOutput{NextToken: o.NextToken}
	if o.InstanceStatuses != nil {
		out.InstanceStatuses = []ec2types.InstanceStatus{}
	}
	summary := func(s *ec2types.InstanceStatusSummary) *ec2types.InstanceStatusSummary {
		if s == nil {
			return nil
		}
		var p ec2types.InstanceStatusSummary
		keepFields(t, s, &p, decodedInstanceFields["InstanceStatusSummary"])
		return &p
	}
	for _, st := range o.InstanceStatuses {
		var p ec2types.InstanceStatus
		keepFields(t, &st, &p, decodedInstanceFields["InstanceStatus"])
		p.SystemStatus, p.InstanceStatus = summary(st.SystemStatus), summary(st.InstanceStatus)
		if st.Events != nil {
			p.Events = []ec2types.InstanceStatusEvent{}
			for _, ev := range st.Events {
				var pe ec2types.InstanceStatusEvent
				keepFields(t, &ev, &pe, decodedInstanceFields["InstanceStatusEvent"])
				p.Events = append(p.Events, pe)
			}
		}
		out.InstanceStatuses = append(out.InstanceStatuses, p)
	}
	return out
}

// statusBothWays makes one call decoded by the SDK and one by decodeStatusPage.
func statusBothWays(t *testing.T, c *ec2.Client) (sdk, light *ec2.DescribeInstanceStatusOutput, sdkErr, lightErr error) {
	t.Helper()
	ctx := context.Background()
	sdk, sdkErr = c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{})
	light, lightErr = c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{}, withStatusPageDecoder())
	for _, o := range []*ec2.DescribeInstanceStatusOutput{sdk, light} {
		if o != nil {
			o.ResultMetadata = middleware.Metadata{}
		}
	}
	return
}

const craftedStatusPage = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>3be1508e-1111-2222-3333-444455556666</requestId>
    <instanceStatusSet>
        <item>
            <instanceId>i-0aaa</instanceId>
            <availabilityZone>us-east-1a</availabilityZone>
            <instanceState><code>16</code><name>running</name></instanceState>
            <systemStatus>
                <status>impaired</status>
                <details><item><name>reachability</name><status>failed</status><impairedSince>2026-12-01T10:00:00.000Z</impairedSince></item></details>
            </systemStatus>
            <instanceStatus><Status>ok</Status><details><item><name>reachability</name><status>passed</status></item></details></instanceStatus>
            <eventsSet>
                <item>
                    <instanceEventId>instance-event-1</instanceEventId>
                    <code>system-reboot</code>
                    <description>scheduled reboot &amp; &lt;maintenance&gt; café</description>
                    <notBefore>2026-12-09T02:00:00.000Z</notBefore>
                    <notAfter>2026-12-09T04:00:00.000Z</notAfter>
                </item>
                <item><code>instance-stop</code><description/><notBefore>2026-12-10T00:00:00Z</notBefore></item>
            </eventsSet>
        </item>
        <item>
            <instanceId>i-0bbb</instanceId>
            <instanceState><code>80</code><name>stopped</name></instanceState>
            <systemStatus><status>not-applicable</status><details/></systemStatus>
            <instanceStatus><status>not-applicable</status></instanceStatus>
            <eventsSet/>
        </item>
        <item><instanceId>i-0ccc</instanceId></item>
    </instanceStatusSet>
    <nextToken>eyJ0b2tlbiI6IjEifQ==</nextToken>
</DescribeInstanceStatusResponse>`

// TestStatusPageDecodeMatchesSDK: the decoded fields are the SDK's own,
// for a page that uses every one of them, undecoded ones beside them,
// escapes, empty elements and mixed case, and for the simulator's page of
// a generated fleet.
func TestStatusPageDecodeMatchesSDK(t *testing.T) {
	sdk, light, sdkErr, lightErr := statusBothWays(t, bodyServer(t, 200, craftedStatusPage))
	if sdkErr != nil || lightErr != nil {
		t.Fatalf("errors: SDK %v, decoder %v", sdkErr, lightErr)
	}
	if _, ok := decodeStatusPage([]byte(craftedStatusPage)); !ok {
		t.Fatal("decodeStatusPage did not take the crafted page")
	}
	if want := projectStatuses(t, sdk); !reflect.DeepEqual(light, want) {
		g, _ := json.MarshalIndent(light, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("crafted page decoded as\n%s\nthe SDK's (decoded fields):\n%s", g, w)
	}
	ev := light.InstanceStatuses[0].Events[0]
	if aws.ToString(ev.Description) != "scheduled reboot & <maintenance> café" || !aws.ToTime(ev.NotBefore).Equal(time.Date(2026, 12, 9, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("event %+v", ev)
	}
	if light.InstanceStatuses[0].InstanceStatus.Status != ec2types.SummaryStatusOk || light.InstanceStatuses[0].SystemStatus.Status != ec2types.SummaryStatusImpaired {
		t.Errorf("summaries %+v %+v", light.InstanceStatuses[0].SystemStatus, light.InstanceStatuses[0].InstanceStatus)
	}

	// The simulator's pages of a generated fleet, every instance listed.
	st := awssim.GenerateFleet(300, awssim.DefaultFleetMix, 1)
	s := simtest.Start(t, st, awssim.Options{})
	c := simtest.Clients(t, s, st, awssim.DemoAccessKey, awsapi.Options{})
	in := &ec2.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true), MaxResults: aws.Int32(1000)}
	sdkPage, err := c.EC2.DescribeInstanceStatus(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	lightPage, err := c.EC2.DescribeInstanceStatus(context.Background(), in, withStatusPageDecoder())
	if err != nil {
		t.Fatal(err)
	}
	sdkPage.ResultMetadata, lightPage.ResultMetadata = middleware.Metadata{}, middleware.Metadata{}
	if len(lightPage.InstanceStatuses) < 300 {
		t.Fatalf("%d statuses for 300 instances", len(lightPage.InstanceStatuses))
	}
	if want := projectStatuses(t, sdkPage); !reflect.DeepEqual(lightPage, want) {
		t.Fatal("simulator page: decoder and SDK differ")
	}
}

// TestStatusPageDecodeLeavesTheRestToTheSDK: a body the decoder does not
// take whole reaches the SDK's deserializer as it came; error responses
// keep their codes.
func TestStatusPageDecodeLeavesTheRestToTheSDK(t *testing.T) {
	item := func(inner string) string {
		return `<DescribeInstanceStatusResponse><instanceStatusSet><item>` + inner + `</item></instanceStatusSet></DescribeInstanceStatusResponse>`
	}
	for _, c := range []struct {
		name, body string
		sdkErr     bool
	}{
		{"bad time", item(`<eventsSet><item><notBefore>tomorrow</notBefore></item></eventsSet>`), true},
		{"empty time", item(`<eventsSet><item><notBefore/></item></eventsSet>`), true},
		{"comment in a value", item(`<instanceId>i-1<!-- c --></instanceId>`), true},
		{"CDATA", item(`<instanceId><![CDATA[i-<1>]]></instanceId>`), false},
		{"bad state code", item(`<instanceState><code>x</code></instanceState>`), true},
		{"truncated", item(`<instanceId>i-1</instanceId>`)[:50], true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := decodeStatusPage([]byte(c.body)); ok {
				t.Errorf("decodeStatusPage took %q", c.body)
			}
			sdk, light, sdkErr, lightErr := statusBothWays(t, bodyServer(t, 200, c.body))
			if (sdkErr != nil) != c.sdkErr {
				t.Fatalf("the SDK's error: %v, want an error: %v", sdkErr, c.sdkErr)
			}
			if (lightErr != nil) != (sdkErr != nil) || sdkErr != nil && sdkErr.Error() != lightErr.Error() {
				t.Errorf("errors: SDK %v, with the decoder %v", sdkErr, lightErr)
			}
			if sdkErr == nil && !reflect.DeepEqual(projectStatuses(t, sdk), light) {
				t.Errorf("outputs differ: SDK %+v, with the decoder %+v", sdk, light)
			}
		})
	}
	const errBody = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors><RequestID>r1</RequestID></Response>`
	_, _, sdkErr, lightErr := statusBothWays(t, bodyServer(t, 403, errBody))
	if ErrorCode(sdkErr) != "UnauthorizedOperation" || ErrorCode(lightErr) != "UnauthorizedOperation" {
		t.Errorf("error codes: SDK %q, with the decoder %q", ErrorCode(sdkErr), ErrorCode(lightErr))
	}
}
