package awssim

import (
	"strings"
)

// normPath gives an IAM path its canonical form: "/" when empty, always
// starting and ending with a slash.
func normPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// iamArn builds arn:aws:iam::ACCOUNT:KIND/PATH/NAME (kind: user, role,
// group, instance-profile, policy).
func iamArn(account, kind, path, name string) string {
	return "arn:aws:iam::" + account + ":" + kind + normPath(path) + name
}

// iamEntity is an IAM ARN taken apart. Name is the last path segment, since
// IAM names cannot contain a slash.
type iamEntity struct {
	Account, Kind, Path, Name string
}

// parseIAMArn reads arn:aws:iam::ACCOUNT:KIND/PATH/NAME; ok is false for
// anything else (including sts assumed-role ARNs).
func parseIAMArn(arn string) (iamEntity, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return iamEntity{}, false
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok {
		return iamEntity{}, false
	}
	kind, tail, ok := strings.Cut(res, "/")
	if !ok || tail == "" {
		return iamEntity{}, false
	}
	slash := strings.LastIndexByte(tail, '/')
	return iamEntity{Account: account, Kind: kind, Path: "/" + tail[:slash+1], Name: tail[slash+1:]}, true
}

func (s *Sim) account() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.AccountID
}

// The ARNs of the account's entities, using the stored path when the entity
// exists (authorization happens before the lookup, on the ARN AWS would
// build, so a missing entity gets the default path).

func (s *Sim) roleArn(name string) string { return s.entityArn(roleKind, name) }

func (s *Sim) profileArn(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "/"
	if p, ok := s.state.InstanceProfile[name]; ok {
		path = p.Path
	}
	return iamArn(s.state.AccountID, "instance-profile", path, name)
}

// iamResourceWording is how IAM names a resource in AccessDenied messages:
// "role NAME", "user NAME", "group NAME", "instance profile NAME"; other
// resources by ARN.
func iamResourceWording(arn string) string {
	e, ok := parseIAMArn(arn)
	if !ok {
		return arn
	}
	switch e.Kind {
	case "role", "user", "group":
		return e.Kind + " " + e.Name
	case "instance-profile":
		return "instance profile " + e.Name
	}
	return arn
}
