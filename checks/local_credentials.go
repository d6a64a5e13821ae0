package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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
