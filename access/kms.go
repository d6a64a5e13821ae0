package access

import (
	"context"
	"fmt"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
)

// SessionKMSKey is the KMS key a session of doc ("": DefaultDocument) is
// encrypted with, on which kms:GenerateDataKey is then needed: the key the
// Session Manager preferences name, unless doc starts a Port session (SSH,
// port forwarding), which the agent does not encrypt; unused is then that
// key. note, when not empty, says what could not be read (the
// preferences, or the document's session type: the key is then taken to
// apply).
func SessionKMSKey(ctx context.Context, env *awsfacts.AWSEnv, doc string) (key, unused, note string) {
	if doc == "" {
		doc = DefaultDocument
	}
	k, err := env.SessionKMSFor(ctx, doc)
	switch {
	case err != nil:
		return "", "", "the Session Manager preferences could not be read (" + awsfacts.ConciseAPIError(err) + "): whether sessions need kms:GenerateDataKey is not known"
	case k.KeyID == "":
		return "", "", ""
	case !k.Applies:
		return "", k.KeyID, ""
	case k.TypeErr != nil:
		return k.KeyID, "", fmt.Sprintf("the session type of %s could not be read (%s): kms:GenerateDataKey on the preferences' key is taken to be needed", doc, awsfacts.ConciseAPIError(k.TypeErr))
	}
	return k.KeyID, "", ""
}
