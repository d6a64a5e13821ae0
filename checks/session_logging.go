package checks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

func sessionLoggingCheck() Check {
	return New("session-logging", "sessions are logged (S3 or CloudWatch) with encryption enforced", LayerSession,
		nil, 60*time.Second, runSessionLogging)
}

// tunnelNotLogged is said whatever the preferences: logging records shell
// sessions' input and output, never what an SSH or port forwarding session
// carries.
const tunnelNotLogged = "Session Manager does not log what passes through SSH (AWS-StartSSHSession) or port forwarding sessions: " +
	"their contents are end-to-end SSH or application traffic; only their start and end reach CloudTrail (ssm:StartSession, ssm:TerminateSession) and ssmdoctor sessions"

// prefsFix is how the preferences are changed: the preferences document
// itself (the console's Session Manager > Preferences edits the same).
const prefsFix = "aws ssm update-document --name SSM-SessionManagerRunShell --document-version '$LATEST' --content file://prefs.json"

// runSessionLogging reads the session preferences
// (docs/check-catalogue.md#session-logging), split out of
// session-preferences.
func runSessionLogging(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	p, err := env.AWS.SessionPreferences(ctx)
	if err != nil {
		return undetermined(err)
	}
	if !p.Exists || (p.S3BucketName == "" && p.CloudWatchLogGroupName == "") {
		why := "no S3 bucket or CloudWatch log group in the session preferences"
		if !p.Exists {
			why = "the session preferences were never configured"
		}
		return Warn("sessions are not logged: %s", why).WithDetails(tunnelNotLogged,
			`set s3BucketName and s3EncryptionEnabled, or cloudWatchLogGroupName and cloudWatchEncryptionEnabled, in the document's "inputs"`).
			WithFix(prefsFix, NoFix)
	}
	var where, unencrypted []string
	if p.S3BucketName != "" {
		where = append(where, "S3 bucket "+p.S3BucketName)
		if !p.S3EncryptionEnabled {
			unencrypted = append(unencrypted, "s3EncryptionEnabled")
		}
	}
	if p.CloudWatchLogGroupName != "" {
		where = append(where, "CloudWatch log group "+p.CloudWatchLogGroupName)
		if !p.CloudWatchEncryption {
			unencrypted = append(unencrypted, "cloudWatchEncryptionEnabled")
		}
	}
	details := []string{
		fmt.Sprintf("S3: %s (encryption enforced: %t)", orNone(p.S3BucketName), p.S3EncryptionEnabled),
		fmt.Sprintf("CloudWatch: %s (encryption enforced: %t)", orNone(p.CloudWatchLogGroupName), p.CloudWatchEncryption),
		tunnelNotLogged,
	}
	if len(unencrypted) > 0 {
		return Warn("sessions are logged to %s without enforced encryption (%s is false)", strings.Join(where, " and "), strings.Join(unencrypted, ", ")).
			WithDetails(details...).WithDetails("with encryption enforced, Session Manager logs only to an encrypted bucket or log group").
			WithFix(prefsFix, NoFix)
	}
	return Pass("sessions are logged to %s, encryption enforced", strings.Join(where, " and ")).WithDetails(details...)
}

func orNone(s string) string {
	if s == "" {
		return "off"
	}
	return s
}
