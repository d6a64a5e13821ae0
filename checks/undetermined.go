package checks

import (
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// undetermined turns a failed lookup into the "could not determine" result:
// the permission to ask for when denied, a retry hint when throttled, a
// login hint when the credentials are no longer valid.
func undetermined(err error) Result {
	call := awsfacts.FailedCall(err)
	if call == "" {
		call = "AWS API"
	}
	code := awsfacts.ErrorCode(err)
	switch awsfacts.Classify(err) {
	case awsfacts.Denied:
		return Undetermined(call, "could not determine: %s denied (%s)", call, call).
			WithDetails(fmt.Sprintf("ask for the read permission %s; %s", call, awsfacts.ConciseAPIError(err)))
	case awsfacts.Throttled:
		return Undetermined(call, "could not determine: %s still throttled after retries (%s)", call, code).
			WithDetails("AWS throttled the call even with adaptive retries; run again later or check fewer instances at once")
	case awsfacts.Expired:
		return Undetermined(call, "could not determine: credentials rejected by %s (%s)", call, code).
			WithFix("aws sso login   # or refresh the credentials of your profile", "")
	}
	return Undetermined(call, "could not determine: %s failed", call).WithDetails(awsfacts.ConciseAPIError(err))
}

// accessError is the result for a failed evaluation: simulation denied and
// no way to read the policies.
func accessError(err error) Result {
	if awsfacts.Classify(err) == awsfacts.Denied {
		call := awsfacts.FailedCall(err)
		if call == "" {
			call = "iam:SimulatePrincipalPolicy"
		}
		return Undetermined("iam:SimulatePrincipalPolicy", "could not determine: %s denied (iam:SimulatePrincipalPolicy), and the policies could not be read", call).
			WithDetails(awsfacts.ConciseAPIError(err),
				"ask for iam:SimulatePrincipalPolicy on your own principal, or for read access to your policies (iam:GetUser, iam:List*Policies, iam:Get*Policy)")
	}
	return undetermined(err)
}
