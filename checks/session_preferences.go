package checks

import (
	"context"
	"fmt"
	"time"
)

func sessionPreferencesCheck() Check {
	return New("session-preferences", "Session Manager preferences (KMS, RunAs)", LayerSession,
		nil, 60*time.Second, runSessionPreferences)
}

// runSessionPreferences reads the KMS key and RunAs settings; logging and
// timeouts are session-logging's and session-timeouts' (split out of this
// check, which keeps its ID for what remains).
func runSessionPreferences(ctx context.Context, env *Env) Result {
	if r, ok := awsReady(env); !ok {
		return r
	}
	p, err := env.AWS.SessionPreferences(ctx)
	if err != nil {
		return undetermined(err)
	}
	if !p.Exists {
		return Pass("not configured: AWS defaults (no KMS encryption beyond TLS, RunAs off)")
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	details := []string{
		"KMS key: " + or(p.KMSKeyID, "none"),
		fmt.Sprintf("RunAs: %t %s", p.RunAsEnabled, p.RunAsDefaultUser),
	}
	if p.KMSKeyID != "" {
		details = append(details, "with a KMS key the instance role also needs kms:Decrypt on it, and the instance a route to kms")
	}
	if p.RunAsEnabled && p.RunAsDefaultUser == "" {
		return Warn("RunAs is enabled without a default user: shell sessions fail unless the caller is tagged SSMSessionRunAs").WithDetails(details...).
			WithFix("aws ssm update-document --name SSM-SessionManagerRunShell --document-version '$LATEST' --content file://prefs.json   # set runAsDefaultUser", "")
	}
	return Pass("configured (KMS: %s, RunAs: %t)", or(p.KMSKeyID, "none"), p.RunAsEnabled).WithDetails(details...)
}
