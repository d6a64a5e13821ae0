package checks

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// SessionOpener is what --probe needs to open a real session: the SSM
// session calls and, for preferences that require it, KMS data keys.
type SessionOpener struct {
	API tunnel.SessionAPI
	KMS tunnel.DataKeyGenerator // nil: sessions that require KMS fail the handshake
}

// NewSessionOpener adapts the SDK clients to the tunnel's interfaces; kmsc
// may be nil.
func NewSessionOpener(ssmc *ssm.Client, kmsc *kms.Client) *SessionOpener {
	o := &SessionOpener{API: ssmSessionAPI{ssmc}}
	if kmsc != nil {
		o.KMS = kmsDataKeys{kmsc}
	}
	return o
}

type ssmSessionAPI struct{ c *ssm.Client }

func (a ssmSessionAPI) StartSession(ctx context.Context, target, doc string, params map[string][]string) (tunnel.SessionInfo, error) {
	out, err := a.c.StartSession(ctx, &ssm.StartSessionInput{Target: &target, DocumentName: &doc, Parameters: params})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return tunnel.SessionInfo{ID: aws.ToString(out.SessionId), Token: aws.ToString(out.TokenValue), StreamURL: aws.ToString(out.StreamUrl)}, nil
}

func (a ssmSessionAPI) ResumeSession(ctx context.Context, id string) (tunnel.SessionInfo, error) {
	out, err := a.c.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: &id})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return tunnel.SessionInfo{ID: aws.ToString(out.SessionId), Token: aws.ToString(out.TokenValue), StreamURL: aws.ToString(out.StreamUrl)}, nil
}

func (a ssmSessionAPI) TerminateSession(ctx context.Context, id string) error {
	_, err := a.c.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: &id})
	return err
}

type kmsDataKeys struct{ c *kms.Client }

// GenerateDataKey asks for 64 bytes: the session's two AES-256 keys.
func (k kmsDataKeys) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	out, err := k.c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, NumberOfBytes: aws.Int32(64), EncryptionContext: encCtx})
	if err != nil {
		return nil, nil, err
	}
	return out.Plaintext, out.CiphertextBlob, nil
}
