package awssim

var _ = func() bool {
	registrations = append(registrations, func(s *Sim) {
		s.handle("iam", "ListAttachedGroupPolicies", s.iamListAttachedPolicies(groupKind))
		s.handle("iam", "ListGroupPolicies", s.iamListInlinePolicies(groupKind))
		s.handle("iam", "GetGroupPolicy", s.iamGetInlinePolicy(groupKind))
		s.handle("iam", "PutGroupPolicy", s.iamPutInlinePolicy(groupKind))
	})
	return true
}()
