package awssim

import (
	"strings"
	"time"
)

// AWS managed policy ARNs that scenarios, fixes and tests refer to.
const (
	PolicySSMManagedInstanceCore   = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	PolicySSMManagedEC2DefaultDHMC = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
	PolicyEC2RoleforSSMLegacy      = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
	PolicyAdministratorAccess      = "arn:aws:iam::aws:policy/AdministratorAccess"
	PolicyReadOnlyAccess           = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	PolicyS3ReadOnlyAccess         = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
)

// awsManaged holds the built-in AWS managed policies by ARN. They are
// shared by every simulator and never mutated; a scenario may shadow one
// by listing the same ARN in State.Policies.
var awsManaged = buildAWSManaged()

func buildAWSManaged() map[string]*ManagedPolicy {
	day := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	list := []struct {
		arn, id, version, created, updated, desc, doc string
	}{
		{PolicySSMManagedInstanceCore, "ANPAIXSHM2BNB2D3AXXRU", "v2", "2019-03-15T17:22:12Z", "2023-05-30T19:48:23Z",
			"The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.", docSSMManagedInstanceCore},
		{PolicySSMManagedEC2DefaultDHMC, "ANPAZKAPJZG4NQQ6LG7ZD", "v1", "2023-02-16T21:47:44Z", "2023-02-16T21:47:44Z",
			"This policy enables AWS Systems Manager service core functionality on EC2 instances without an instance profile (Default Host Management Configuration).", docSSMManagedEC2InstanceDefault},
		{PolicyEC2RoleforSSMLegacy, "ANPAI6TL3SMY22S4KMMX6", "v8", "2015-05-29T17:48:35Z", "2019-01-24T19:20:51Z",
			"This policy will soon be deprecated. Please use AmazonSSMManagedInstanceCore policy to enable AWS Systems Manager service core functionality on EC2 instances.", docEC2RoleforSSM},
		{PolicyAdministratorAccess, "ANPAIWMBCKSKIEE64ZLYK", "v1", "2015-02-06T18:39:46Z", "2015-02-06T18:39:46Z",
			"Provides full access to AWS services and resources.", docAdministratorAccess},
		{PolicyReadOnlyAccess, "ANPAILL3HVNFSB6DCOWYQ", "v118", "2015-02-06T18:39:48Z", "2024-09-12T17:38:01Z",
			"Provides read-only access to AWS services and resources.", docReadOnlyAccess},
		{PolicyS3ReadOnlyAccess, "ANPAIZTJ4DXE7G6AGAE6M", "v3", "2015-02-06T18:40:59Z", "2023-08-10T21:31:39Z",
			"Provides read only access to all buckets via the AWS Management Console.", docS3ReadOnlyAccess},
	}
	out := make(map[string]*ManagedPolicy, len(list))
	for _, p := range list {
		slash := strings.LastIndexByte(p.arn, '/')
		path := p.arn[strings.Index(p.arn, ":policy")+len(":policy") : slash+1]
		out[p.arn] = &ManagedPolicy{
			Arn:              p.arn,
			Name:             p.arn[slash+1:],
			ID:               p.id,
			Path:             path,
			DefaultVersionID: p.version,
			Versions:         []PolicyVersion{{VersionID: p.version, Document: p.doc, CreatedAt: day(p.updated)}},
			CreatedAt:        day(p.created),
			UpdatedAt:        day(p.updated),
			Description:      p.desc,
		}
	}
	return out
}

// AWSManagedPolicy returns a built-in AWS managed policy by ARN (read only).
func AWSManagedPolicy(arn string) (*ManagedPolicy, bool) {
	p, ok := awsManaged[arn]
	return p, ok
}

// isAWSManagedArn tells AWS managed policies (account "aws") from customer
// managed ones, as SourcePolicyType and the Scope of ListPolicies do.
func isAWSManagedArn(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/")
}

// managedPolicy finds a managed policy by ARN: the scenario's own first,
// then the built-in AWS managed ones.
func (st *State) managedPolicy(arn string) (*ManagedPolicy, bool) {
	if p, ok := st.Policies[arn]; ok {
		return p, true
	}
	return AWSManagedPolicy(arn)
}

// managedPolicyLocked is managedPolicy over the Sim's state.
func (s *Sim) managedPolicyLocked(arn string) (*ManagedPolicy, bool) {
	return s.state.managedPolicy(arn)
}

// defaultDocument is the text of the policy's default version ("" when the
// version list lacks it, which a hand-written scenario can cause).
func (p *ManagedPolicy) defaultDocument() string {
	for _, v := range p.Versions {
		if v.VersionID == p.DefaultVersionID {
			return v.Document
		}
	}
	if p.DefaultVersionID == "" && len(p.Versions) == 1 {
		return p.Versions[0].Document
	}
	return ""
}
