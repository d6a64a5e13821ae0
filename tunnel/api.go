package tunnel

import (
	"context"
	"net/http"
	"time"
)

// SessionInfo is what StartSession and ResumeSession return. Token is a
// secret: it never reaches a log or an error.
type SessionInfo struct {
	ID        string
	Token     string
	StreamURL string
}

// SessionAPI is the slice of the SSM API a tunnel needs; internal/tunnelaws
// adapts the SDK client to it so this package imports none of the project.
type SessionAPI interface {
	StartSession(ctx context.Context, target, document string, params map[string][]string) (SessionInfo, error)
	ResumeSession(ctx context.Context, id string) (SessionInfo, error)
	TerminateSession(ctx context.Context, id string) error
}

// DataKeyGenerator is the KMS call an encrypted session needs.
type DataKeyGenerator interface {
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, ciphertext []byte, err error)
}

// Options configure a Session. Zero values take the defaults noted.
type Options struct {
	Target     string              // instance id (feeds the KMS encryption context)
	Port       int                 // remote port; default 22
	Document   string              // default AWS-StartSSHSession
	Parameters map[string][]string // default {"portNumber": [Port]}

	ChunkSize   int // bytes per outgoing message; default 1024
	Window      int // unacknowledged messages in flight; default 512
	WindowBytes int // unacknowledged payload bytes in flight; default 1 MiB
	Reorder     int // out-of-order messages held; default 1024

	KMS            DataKeyGenerator // needed only when the session requires encryption
	StreamEndpoint string           // replaces the StreamUrl's scheme and host (PrivateLink)
	HTTPClient     *http.Client     // websocket dial; default honours HTTPS_PROXY/NO_PROXY
	ClientVersion  string           // default 1.2.0.0, what a source build of the plugin reports

	PingInterval  time.Duration // websocket keepalive; default 1 min
	FlushTimeout  time.Duration // how long stdin EOF waits for acks; default 10 s
	AckTimeout    time.Duration // a message unacknowledged this long ends the session; default 5 min
	HandshakeWait time.Duration // how long to wait for HandshakeComplete; default 30 s

	// ConnectTimeout bounds each websocket dial (TCP connect, a proxy's
	// CONNECT, TLS handshake, the upgrade's answer); default 10 s.
	ConnectTimeout time.Duration
	// SetupTimeout bounds the whole session setup, from StartSession
	// through the data channel handshake; default 3 x ConnectTimeout.
	SetupTimeout time.Duration

	Logf func(format string, a ...any) // diagnostics; nil discards
}

const (
	defaultDocument  = "AWS-StartSSHSession"
	defaultChunk     = 1024
	defaultWindow    = 512
	defaultWinBytes  = 1 << 20
	defaultReorder   = 1024
	defaultClientVer = "1.2.0.0"
	// DefaultConnectTimeout is Options.ConnectTimeout's default.
	DefaultConnectTimeout = 10 * time.Second
	// Frames bigger than this are refused by the websocket reader, which
	// bounds what one hostile or broken peer can make us allocate.
	maxFrame = 1 << 20
)

// The largest ChunkSize and Window a caller may ask for; larger values
// are cut to these (commands refuse them instead, see proxy).
const (
	MaxChunkSize = maxFrame / 2
	MaxWindow    = 1 << 14
)

func (o Options) withDefaults() Options {
	if o.Port == 0 {
		o.Port = 22
	}
	if o.Document == "" {
		o.Document = defaultDocument
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = defaultChunk
	}
	if o.ChunkSize > MaxChunkSize {
		o.ChunkSize = MaxChunkSize
	}
	if o.Window <= 0 {
		o.Window = defaultWindow
	}
	if o.Window > MaxWindow {
		o.Window = MaxWindow
	}
	if o.WindowBytes <= 0 {
		o.WindowBytes = defaultWinBytes
	}
	if o.Reorder <= 0 {
		o.Reorder = defaultReorder
	}
	if o.ClientVersion == "" {
		o.ClientVersion = defaultClientVer
	}
	if o.PingInterval <= 0 {
		o.PingInterval = time.Minute
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 10 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 5 * time.Minute
	}
	if o.HandshakeWait <= 0 {
		o.HandshakeWait = 30 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.SetupTimeout <= 0 {
		o.SetupTimeout = 3 * o.ConnectTimeout
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}
