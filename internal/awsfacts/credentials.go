package awsfacts

import "github.com/ssmdoctor/ssmdoctor/internal/awsapi"

// The credentials probe's answers (awsapi.CredentialsProbe), for the
// checks, which read AWS only through this package.
type (
	CredentialsInfo    = awsapi.CredentialsInfo
	CredentialsProblem = awsapi.CredentialsProblem
	CredentialsError   = awsapi.CredentialsError
)

const (
	CredentialsUnexplained    = awsapi.CredentialsUnexplained
	CredentialsNoProfile      = awsapi.CredentialsNoProfile
	CredentialsSSONotLoggedIn = awsapi.CredentialsSSONotLoggedIn
	CredentialsSSOExpired     = awsapi.CredentialsSSOExpired
)
