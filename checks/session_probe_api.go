package checks

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// SessionOpener is what --probe needs to open a real session: the SSM
// session calls and, for preferences that require it, KMS data keys.
type SessionOpener struct {
	API tunnel.SessionAPI
	KMS tunnel.DataKeyGenerator // nil: sessions that require KMS fail the handshake
	// ConnectTimeout bounds each websocket dial (--connect-timeout); 0
	// keeps the tunnel's default.
	ConnectTimeout time.Duration
}

// NewSessionOpener adapts the SDK clients to the tunnel's interfaces; kmsc
// may be nil.
func NewSessionOpener(ssmc *ssm.Client, kmsc *kms.Client) *SessionOpener {
	o := &SessionOpener{API: tunnelaws.Sessions{Client: ssmc}}
	if kmsc != nil {
		o.KMS = tunnelaws.DataKeys{Client: kmsc}
	}
	return o
}
