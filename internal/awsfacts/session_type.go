package awsfacts

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The session types a session document names (its "sessionType").
const (
	SessionTypePort           = "Port"
	SessionTypeShell          = "Standard_Stream"
	SessionTypeInteractive    = "InteractiveCommands"
	SessionTypeNonInteractive = "NonInteractiveCommands"
)

// DocumentSessionType is the session type doc starts (a name or a shared
// document's ARN; "" is the shell, SSM-SessionManagerRunShell). The AWS
// session documents are known by name (KindOf); a custom document's type
// is read from its content with ssm:GetDocument, once per document.
func (e *AWSEnv) DocumentSessionType(ctx context.Context, doc string) (string, error) {
	switch KindOf(doc) {
	case KindSSH, KindPortForwarding:
		return SessionTypePort, nil
	case KindShell:
		return SessionTypeShell, nil
	case KindInteractiveCommand:
		return SessionTypeInteractive, nil
	case KindCommand:
		return SessionTypeNonInteractive, nil
	}
	return e.docTypes.get(ctx, doc, func() (string, error) {
		out, err := e.ssm.GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String(doc), DocumentFormat: ssmtypes.DocumentFormatJson})
		if err != nil {
			return "", callErr("ssm:GetDocument", err)
		}
		var content struct {
			SessionType string `json:"sessionType"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Content)), &content); err != nil || content.SessionType == "" {
			return "", callErr("ssm:GetDocument", fmt.Errorf("%s names no sessionType: not a session document", doc))
		}
		return content.SessionType, nil
	})
}

// KMSEncrypts says whether the agent encrypts a session of this type with
// the KMS key the Session Manager preferences name: every type but Port.
// SSH sessions (AWS-StartSSHSession) and port forwarding are Port
// sessions; the agent does not ask the client for a data key for them, so
// neither kms:GenerateDataKey (the user) nor kms:Decrypt (the instance
// role) is needed for them (docs/session-protocol.md#shell-sessions).
func KMSEncrypts(sessionType string) bool { return sessionType != SessionTypePort }

// SessionKMS is what the KMS key the Session Manager preferences name means
// for the sessions of one document.
type SessionKMS struct {
	KeyID string // the preferences' key; "" when they name none
	// Applies: the document's sessions are encrypted with the key (not
	// for Port sessions; see KMSEncrypts).
	Applies bool
	// TypeErr is why the document's session type could not be read; the
	// key is then taken to apply.
	TypeErr error
}

// SessionKMSFor reads the preferences' key and whether it encrypts the
// sessions doc starts (doc as DocumentSessionType takes it); the error is
// the preferences' read error.
func (e *AWSEnv) SessionKMSFor(ctx context.Context, doc string) (SessionKMS, error) {
	prefs, err := e.SessionPreferences(ctx)
	if err != nil {
		return SessionKMS{}, err
	}
	k := SessionKMS{KeyID: prefs.KMSKeyID}
	if k.KeyID == "" {
		return k, nil
	}
	st, err := e.DocumentSessionType(ctx, doc)
	k.TypeErr = err
	k.Applies = err != nil || KMSEncrypts(st)
	return k, nil
}
