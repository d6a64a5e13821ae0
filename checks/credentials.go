package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// expirySoon is how close to expiry credentials must be to earn a warning:
// a session opened now would outlive them.
const expirySoon = 10 * time.Minute

func credentialsCheck() Check {
	return New("credentials", "AWS credentials resolve and are not expired", LayerLocal, nil, 30*time.Second, runCredentials)
}

func runCredentials(ctx context.Context, env *Env) Result {
	info, err := env.Local.Creds(ctx)
	login := loginCommand(env, info, info.SSO || (err != nil && strings.Contains(strings.ToLower(err.Error()), "sso")))
	if errors.Is(err, errNoCredentialsProbe) {
		return Undetermined("AWS configuration", "could not load AWS configuration in this build")
	}
	var ce *awsfacts.CredentialsError
	if errors.As(err, &ce) && ce.Problem != awsfacts.CredentialsUnexplained {
		r := explainCredentials(ce, profileOr(info, env, "default"))
		if env.Options.Verbose {
			r = r.WithDetails("AWS SDK: " + ce.Err.Error())
		}
		return r
	}
	if err != nil {
		msg := err.Error()
		low := strings.ToLower(msg)
		switch {
		case info.SSO || strings.Contains(low, "sso"):
			return Fail("SSO credentials are missing or expired").WithDetails(msg).WithFix(login, "")
		case strings.Contains(low, "expired"):
			return Fail("credentials have expired").WithDetails(msg).WithFix(login, "")
		case strings.Contains(low, "failed to get shared config profile") ||
			strings.Contains(low, "profile") && (strings.Contains(low, "not exist") || strings.Contains(low, "not found")):
			return Fail("the AWS profile does not exist").WithDetails(msg).WithFix("aws configure --profile "+profileOr(info, env, "default"), "")
		}
		return Fail("no AWS credentials could be resolved").WithDetails(msg).
			WithFix("aws configure", "")
	}
	src := info.Source
	if src == "" {
		src = "the default chain"
	}
	who := "profile " + profileOr(info, env, "default")
	if strings.HasPrefix(info.Source, "EnvConfig") {
		who = "environment variables"
	}
	if info.CanExpire && !info.Expires.IsZero() {
		left := time.Until(info.Expires)
		if left <= 0 {
			return Fail("credentials from %s (%s) expired at %s", src, who, info.Expires.UTC().Format(time.RFC3339)).WithFix(login, "")
		}
		if left < expirySoon {
			return Warn("credentials from %s (%s) expire in %s", src, who, left.Round(time.Second)).WithFix(login, "")
		}
		return Pass("resolved from %s (%s), valid until %s", src, who, info.Expires.UTC().Format(time.RFC3339))
	}
	return Pass("resolved from %s (%s)", src, who)
}

func profileOr(info CredentialsInfo, env *Env, def string) string {
	switch {
	case env.Options.Profile != "":
		return env.Options.Profile
	case info.Profile != "":
		return info.Profile
	}
	return def
}

// loginCommand is the command that refreshes these credentials.
func loginCommand(env *Env, info CredentialsInfo, sso bool) string {
	p := profileOr(info, env, "")
	switch {
	case sso && p != "":
		return fmt.Sprintf("aws sso login --profile %s", p)
	case sso:
		return "aws sso login"
	case p != "":
		return fmt.Sprintf("aws configure --profile %s", p)
	}
	return "aws configure"
}

// explainCredentials says in plain words what is wrong and what to run.
func explainCredentials(ce *awsfacts.CredentialsError, profile string) Result {
	if ce.Profile != "" {
		profile = ce.Profile
	}
	login := "aws sso login --profile " + profile
	switch ce.Problem {
	case awsfacts.CredentialsNoProfile:
		where := "the AWS config"
		if len(ce.Files) > 0 {
			where = strings.Join(ce.Files, " or ")
		}
		if len(ce.Profiles) == 0 {
			return Fail("profile %s is not in %s, which defines no profile: run aws configure --profile %s", profile, where, profile).
				WithFix("aws configure --profile "+profile, "")
		}
		return Fail("profile %s is not in %s: run aws configure --profile %s, or pick one of: %s", profile, where, profile, strings.Join(ce.Profiles, ", ")).
			WithFix("aws configure --profile "+profile, "")
	case awsfacts.CredentialsSSONotLoggedIn:
		return Fail("profile %s signs in through IAM Identity Center (SSO) and is not logged in: run %s", profile, login).
			WithFix(login, "")
	case awsfacts.CredentialsSSOExpired:
		return Fail("the IAM Identity Center (SSO) session of profile %s has expired: run %s", profile, login).
			WithFix(login, "")
	}
	return Fail("no AWS credentials could be resolved").WithDetails(ce.Err.Error())
}
