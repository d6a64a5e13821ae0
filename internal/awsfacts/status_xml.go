package awsfacts

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	smithytime "github.com/aws/smithy-go/time"
)

// A fleet check reads the region's instance statuses, 1,000 a page
// (fetchRegionStatuses); the SDK decoded 10,000 of them with encoding/xml
// into every field in a fifth of a second, the doctor's largest cost
// after the instance pages (docs/benchmarks.md). They are decoded here,
// with the scanner of pages_xml.go, into the fields the doctor reads:
//
//	InstanceStatus:        InstanceId, InstanceState (whole), SystemStatus,
//	                       InstanceStatus, Events
//	InstanceStatusSummary: Status
//	InstanceStatusEvent:   Code, Description, NotBefore
//
// TestStatusPageDecodeMatchesSDK holds the values equal to the SDK's, and
// TestDoctorReadsOnlyDecodedInstanceFields fails when product code reads
// another field of these types. As for the instance pages, a body the
// scanner does not take whole, and every error response, goes to the
// SDK's deserializer.

// withStatusPageDecoder has the call's successful responses decoded by
// decodeStatusPage.
func withStatusPageDecoder() func(*ec2.Options) {
	return func(o *ec2.Options) {
		o.APIOptions = append(o.APIOptions, swapDeserializer(func(b []byte) (any, bool) { return decodeStatusPage(b) }))
	}
}

// decodeStatusPage decodes a DescribeInstanceStatus response body; ok is
// false when the body is not one this decoder takes whole.
func decodeStatusPage(body []byte) (out *ec2.DescribeInstanceStatusOutput, ok bool) {
	d := &xmlScan{b: body}
	defer d.recover(&ok)
	root, ok := d.prolog()
	if !ok {
		return &ec2.DescribeInstanceStatusOutput{}, true // empty body: the SDK's answer too
	}
	out = &ec2.DescribeInstanceStatusOutput{}
	d.children(root, func(name []byte) {
		switch {
		case is(name, "instanceStatusSet"):
			if out.InstanceStatuses == nil {
				out.InstanceStatuses = []ec2types.InstanceStatus{}
			}
			d.items(name, func() {
				var st ec2types.InstanceStatus
				d.instanceStatus(&st)
				out.InstanceStatuses = append(out.InstanceStatuses, st)
			})
		case is(name, "nextToken"):
			out.NextToken = d.str(name)
		default:
			d.skip(name)
		}
	})
	return out, true
}

func (d *xmlScan) instanceStatus(st *ec2types.InstanceStatus) {
	d.children(d.name, func(name []byte) {
		switch {
		case is(name, "instanceId"):
			st.InstanceId = d.str(name)
		case is(name, "instanceState"):
			if st.InstanceState == nil {
				st.InstanceState = &ec2types.InstanceState{}
			}
			d.instanceState(name, st.InstanceState)
		case is(name, "systemStatus"):
			st.SystemStatus = d.statusSummary(name, st.SystemStatus)
		case is(name, "instanceStatus"):
			st.InstanceStatus = d.statusSummary(name, st.InstanceStatus)
		case is(name, "eventsSet"):
			if st.Events == nil {
				st.Events = []ec2types.InstanceStatusEvent{}
			}
			d.items(name, func() {
				var ev ec2types.InstanceStatusEvent
				d.children(d.name, func(f []byte) {
					switch {
					case is(f, "code"):
						ev.Code = ec2types.EventCode(d.text(f))
					case is(f, "description"):
						ev.Description = d.str(f)
					case is(f, "notBefore"):
						t, err := smithytime.ParseDateTime(d.text(f))
						if err != nil {
							bail() // the SDK's error
						}
						ev.NotBefore = &t
					default:
						d.skip(f)
					}
				})
				st.Events = append(st.Events, ev)
			})
		default:
			d.skip(name)
		}
	})
}

func (d *xmlScan) statusSummary(name []byte, s *ec2types.InstanceStatusSummary) *ec2types.InstanceStatusSummary {
	if s == nil {
		s = &ec2types.InstanceStatusSummary{}
	}
	d.children(name, func(f []byte) {
		if is(f, "status") {
			s.Status = ec2types.SummaryStatus(d.text(f))
		} else {
			d.skip(f)
		}
	})
	return s
}
