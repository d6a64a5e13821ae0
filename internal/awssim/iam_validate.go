package awssim

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// IAM's input constraints on names and paths, as its API reference gives
// them and its ValidationError words them. A real account refuses a name
// outside them before anything else, so the simulator does too: otherwise
// a caller (fix --role-name, say) passes here and fails against AWS.
// (moto 5.2.1 accepts all of these names, so no cross-check with it.)

// iamNamePattern is the pattern of role, user, group, instance profile and
// policy names, as IAM prints it in its errors.
const iamNamePattern = `[\w+=,.@-]+`

// iamPathPattern is the pattern of a Path, as IAM prints it.
const iamPathPattern = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`

var (
	iamNameRe = regexp.MustCompile(`^[\w+=,.@-]+$`)
	iamPathRe = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
)

type iamConstraint struct {
	re      *regexp.Regexp
	pattern string
	max     int
}

// iamConstraints maps each form parameter naming an IAM entity to its
// constraint. Role names are at most 64 characters; users (outside
// CreateUser, which the simulator does not serve), groups, instance
// profiles and policies at most 128; paths 512.
var iamConstraints = map[string]iamConstraint{
	"RoleName":            {iamNameRe, iamNamePattern, 64},
	"UserName":            {iamNameRe, iamNamePattern, 128},
	"GroupName":           {iamNameRe, iamNamePattern, 128},
	"InstanceProfileName": {iamNameRe, iamNamePattern, 128},
	"PolicyName":          {iamNameRe, iamNamePattern, 128},
	"Path":                {iamPathRe, iamPathPattern, 512},
}

// iamCreateUserNameMax is CreateUser's tighter bound on UserName.
const iamCreateUserNameMax = 64

// validateIAMForm checks every name and path parameter present in an IAM
// request and returns IAM's ValidationError listing each violation, or
// nil. An absent or empty parameter is left to the handler (missingParam).
func validateIAMForm(op string, form url.Values) *APIError {
	var errs []string
	for _, param := range []string{"Path", "RoleName", "UserName", "GroupName", "InstanceProfileName", "PolicyName"} {
		v := form.Get(param)
		if v == "" {
			continue
		}
		con := iamConstraints[param]
		if param == "UserName" && op == "CreateUser" {
			con.max = iamCreateUserNameMax
		}
		// IAM counts characters; a name of multi-byte characters already
		// fails the pattern.
		at := fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: ", v, lowerFirst(param))
		if !con.re.MatchString(v) {
			errs = append(errs, at+"Member must satisfy regular expression pattern: "+con.pattern)
		}
		if n := len([]rune(v)); n > con.max {
			errs = append(errs, at+fmt.Sprintf("Member must have length less than or equal to %d", con.max))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return ErrStatus(400, "ValidationError", "1 validation error detected: %s", errs[0])
	default:
		return ErrStatus(400, "ValidationError", "%d validation errors detected: %s", len(errs), strings.Join(errs, "; "))
	}
}
