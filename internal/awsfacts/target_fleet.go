package awsfacts

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// tagFilter is one --filter tag:KEY=VALUE.
type tagFilter struct{ key, value string }

// listFleet selects every live EC2 instance and every hybrid (mi-) node of
// the region that carries all the tags. Hybrid nodes never appear in EC2
// responses, so they come from their Systems Manager registration; that
// answer is kept, and PrefetchFleet does not ask for them again.
func (a *AWSEnv) listFleet(ctx context.Context, tags []tagFilter) ([]*Target, error) {
	ec2Filters := []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: liveStates}}
	for _, t := range tags {
		ec2Filters = append(ec2Filters, ec2types.Filter{Name: aws.String("tag:" + t.key), Values: []string{t.value}})
	}
	var onPage func([]ec2types.Instance)
	if a.earlyOn {
		a.early = startEarly(ctx, a)
		onPage = a.early.add
	}
	insts, err := a.describeInstancesPaged(ctx, a.ec2, ec2Filters, onPage)
	if a.early != nil {
		a.early.listed() // the last registrations, in a chunk of their own
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	nodes, err := a.listHybridNodes(ctx, tags)
	if err != nil {
		// Leaving them out silently would pass a fleet that was not checked.
		return nil, fmt.Errorf("list hybrid managed nodes: %w", err)
	}
	out := make([]*Target, 0, len(insts)+len(nodes))
	for i := range insts {
		out = append(out, listedTarget(a, &insts[i]))
	}
	for _, n := range nodes {
		id := aws.ToString(n.InstanceId)
		out = append(out, &Target{Input: id, InstanceID: id, Region: a.Region, Name: hybridName(n), Hybrid: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InstanceID < out[j].InstanceID })
	return out, nil
}

// listHybridNodes pages through the region's managed instances (resource
// type ManagedInstance, i.e. mi- nodes) with the tag filters applied by
// Systems Manager, and remembers each registration.
func (a *AWSEnv) listHybridNodes(ctx context.Context, tags []tagFilter) ([]*ssmtypes.InstanceInformation, error) {
	filters := []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("ResourceType"), Values: []string{"ManagedInstance"}}}
	for _, t := range tags {
		filters = append(filters, ssmtypes.InstanceInformationStringFilter{Key: aws.String("tag:" + t.key), Values: []string{t.value}})
	}
	p := ssm.NewDescribeInstanceInformationPaginator(a.ssm, &ssm.DescribeInstanceInformationInput{
		Filters:    filters,
		MaxResults: aws.Int32(describeInstanceInformationPage),
	})
	var out []*ssmtypes.InstanceInformation
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, callErr("ssm:DescribeInstanceInformation", err)
		}
		for i := range page.InstanceInformationList {
			ii := &page.InstanceInformationList[i]
			if ii.ResourceType != "" && ii.ResourceType != "ManagedInstance" {
				continue // an implementation that ignores the filter must not add EC2 nodes twice
			}
			out = append(out, ii)
			a.info.put(aws.ToString(ii.InstanceId), &instanceInfoRec{info: ii}, nil)
		}
	}
	return out, nil
}

// hybridName is the node's activation name, else its host name: hybrid
// nodes have no Name tag unless someone added one.
func hybridName(n *ssmtypes.InstanceInformation) string {
	if name := aws.ToString(n.Name); name != "" {
		return name
	}
	return aws.ToString(n.ComputerName)
}
