package awsfacts

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// FindEndpoint is the VPC's interface endpoint for service (e.g.
// com.amazonaws.us-east-1.ssm) that is not being deleted, or nil.
func FindEndpoint(eps []ec2types.VpcEndpoint, service string) *ec2types.VpcEndpoint {
	for i, ep := range eps {
		if aws.ToString(ep.ServiceName) == service && ep.VpcEndpointType == ec2types.VpcEndpointTypeInterface &&
			!strings.EqualFold(string(ep.State), "deleted") && !strings.EqualFold(string(ep.State), "deleting") {
			return &eps[i]
		}
	}
	return nil
}

// UsableEndpoint: the endpoint takes the service's traffic, available and
// with private DNS on.
func UsableEndpoint(ep *ec2types.VpcEndpoint) bool {
	return ep != nil && aws.ToBool(ep.PrivateDnsEnabled) && (ep.State == "" || strings.EqualFold(string(ep.State), "available"))
}
