package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
)

// CredentialsInfo describes resolved credentials without the secrets.
type CredentialsInfo struct {
	Profile   string // the profile in use ("" for default or env)
	Region    string // resolved region, "" when none
	Source    string // e.g. "EnvConfigCredentials", "SSOProvider"
	CanExpire bool
	Expires   time.Time
	SSO       bool // the profile uses IAM Identity Center
}

// CredentialsProblem is a failure to resolve credentials that has a plain
// explanation and a known fix.
type CredentialsProblem int

const (
	// CredentialsUnexplained: no better words than the SDK's own.
	CredentialsUnexplained CredentialsProblem = iota
	// CredentialsNoProfile: the profile is in no shared config file.
	CredentialsNoProfile
	// CredentialsSSONotLoggedIn: an SSO profile without a cached token.
	CredentialsSSONotLoggedIn
	// CredentialsSSOExpired: an SSO profile whose token expired or was refused.
	CredentialsSSOExpired
)

// CredentialsError is what CredentialsProbe returns when it could tell why
// credentials do not resolve. Err is the SDK's chain, shown only in
// --verbose detail.
type CredentialsError struct {
	Problem CredentialsProblem
	Profile string
	// Files are the shared config files the profile was looked for in, as
	// the user knows them ("~/.aws/config", or AWS_CONFIG_FILE's value).
	Files []string
	// Profiles are the ones those files do define, sorted.
	Profiles []string
	Err      error
}

func (e *CredentialsError) Error() string { return e.Err.Error() }
func (e *CredentialsError) Unwrap() error { return e.Err }

// CredentialsProbe resolves credentials the way every AWS call will, and
// reports where they came from without ever returning the secrets.
// clients and loadErr are what Load returned for profile (--profile as
// typed; "" reads AWS_PROFILE through getenv). A failure it can explain
// comes back as a *CredentialsError.
func CredentialsProbe(profile string, clients *Clients, loadErr error, getenv func(string) string) func(context.Context) (CredentialsInfo, error) {
	return func(ctx context.Context) (CredentialsInfo, error) {
		info := CredentialsInfo{Profile: profile}
		if info.Profile == "" {
			info.Profile = getenv("AWS_PROFILE")
		}
		if loadErr != nil {
			if sc, ok := sharedProfile(ctx, info.Profile); ok {
				info.SSO = sc.SSOStartURL != "" || sc.SSOSessionName != ""
				info.Region = sc.Region
			}
			return info, explainCredentialsError(info, loadErr)
		}
		info.Region = clients.Region
		for _, src := range clients.Config.ConfigSources {
			if sc, ok := src.(config.SharedConfig); ok {
				info.SSO = sc.SSOStartURL != "" || sc.SSOSessionName != ""
				if info.Profile == "" {
					info.Profile = sc.Profile
				}
			}
		}
		creds, err := clients.Config.Credentials.Retrieve(ctx)
		if err != nil {
			return info, explainCredentialsError(info, fmt.Errorf("retrieve AWS credentials: %w", err))
		}
		info.Source = creds.Source
		info.CanExpire, info.Expires = creds.CanExpire, creds.Expires
		return info, nil
	}
}

// explainCredentialsError tells a missing profile and an SSO profile that
// is not logged in (or whose login expired) from the rest.
func explainCredentialsError(info CredentialsInfo, err error) error {
	ce := &CredentialsError{Profile: info.Profile, Err: err}
	var noProfile config.SharedConfigProfileNotExistError
	var invalidToken *ssocreds.InvalidTokenError
	msg := err.Error()
	switch {
	case errors.As(err, &noProfile):
		ce.Problem = CredentialsNoProfile
		if noProfile.Profile != "" {
			ce.Profile = noProfile.Profile
		}
		ce.Files, ce.Profiles = SharedConfigProfiles()
	case !info.SSO:
	case errors.Is(err, fs.ErrNotExist):
		// No cached token for the start URL: never logged in on this
		// machine (or the cache was cleared).
		ce.Problem = CredentialsSSONotLoggedIn
	case errors.As(err, &invalidToken), strings.Contains(msg, "cached SSO token is expired"),
		strings.Contains(msg, "UnauthorizedException"):
		ce.Problem = CredentialsSSOExpired
	}
	return ce
}

// MissingProfile returns the profile a Load error says is in no shared
// config file.
func MissingProfile(err error) (profile string, ok bool) {
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return noProfile.Profile, true
	}
	return "", false
}

// SharedConfigProfiles returns the shared config files as the user knows
// them and the profiles they define, as the SDK reads them: the config
// file's [default] and [profile NAME] sections, the credentials file's
// [NAME] sections. Unreadable files add nothing.
func SharedConfigProfiles() (files, profiles []string) {
	home, _ := os.UserHomeDir()
	type src struct {
		env, def string
		creds    bool
	}
	seen := map[string]bool{}
	for _, s := range []src{{"AWS_CONFIG_FILE", "config", false}, {"AWS_SHARED_CREDENTIALS_FILE", "credentials", true}} {
		path, name := os.Getenv(s.env), s.env
		if path == "" {
			path, name = filepath.Join(home, ".aws", s.def), "~/.aws/"+s.def
		} else {
			name = s.env + " (" + path + ")"
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if !s.creds {
				files = append(files, name) // where the profile belongs
			}
			continue
		}
		files = append(files, name)
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			sec := strings.TrimSpace(line[1 : len(line)-1])
			if !s.creds {
				p, ok := strings.CutPrefix(sec, "profile ")
				if !ok && sec != "default" {
					continue // sso-session, services and the like
				}
				sec = strings.TrimSpace(p)
			}
			if sec != "" && !seen[sec] {
				seen[sec] = true
				profiles = append(profiles, sec)
			}
		}
	}
	sort.Strings(profiles)
	return files, profiles
}

// sharedProfile reads a profile when the full configuration failed to load,
// honouring AWS_CONFIG_FILE as the SDK does.
func sharedProfile(ctx context.Context, profile string) (config.SharedConfig, bool) {
	if profile == "" {
		return config.SharedConfig{}, false
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	})
	return sc, err == nil
}
