// Package tunnelaws adapts the AWS SDK's SSM and KMS clients to the
// tunnel's narrow interfaces, so that tunnel/ itself knows nothing of the
// SDK. Both the proxy command and the --probe check open sessions through it.
package tunnelaws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Sessions adapts an SSM client to tunnel.SessionAPI.
type Sessions struct{ Client *ssm.Client }

// StartSession implements tunnel.SessionAPI.
func (a Sessions) StartSession(ctx context.Context, target, doc string, params map[string][]string) (tunnel.SessionInfo, error) {
	out, err := a.Client.StartSession(ctx, &ssm.StartSessionInput{Target: &target, DocumentName: &doc, Parameters: params})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return sessionInfo(out.SessionId, out.TokenValue, out.StreamUrl), nil
}

// ResumeSession implements tunnel.SessionAPI.
func (a Sessions) ResumeSession(ctx context.Context, id string) (tunnel.SessionInfo, error) {
	out, err := a.Client.ResumeSession(ctx, &ssm.ResumeSessionInput{SessionId: &id})
	if err != nil {
		return tunnel.SessionInfo{}, err
	}
	return sessionInfo(out.SessionId, out.TokenValue, out.StreamUrl), nil
}

// sessionInfo is what StartSession and ResumeSession both answer.
func sessionInfo(id, token, streamURL *string) tunnel.SessionInfo {
	return tunnel.SessionInfo{ID: aws.ToString(id), Token: aws.ToString(token), StreamURL: aws.ToString(streamURL)}
}

// TerminateSession implements tunnel.SessionAPI.
func (a Sessions) TerminateSession(ctx context.Context, id string) error {
	_, err := a.Client.TerminateSession(ctx, &ssm.TerminateSessionInput{SessionId: &id})
	return err
}

// DataKeys adapts a KMS client to tunnel.DataKeyGenerator.
type DataKeys struct{ Client *kms.Client }

// GenerateDataKey asks for 64 bytes: the session's two AES-256 keys.
func (k DataKeys) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	out, err := k.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, NumberOfBytes: aws.Int32(64), EncryptionContext: encCtx})
	if err != nil {
		return nil, nil, err
	}
	return out.Plaintext, out.CiphertextBlob, nil
}
