package tunnel

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// OpenDataChannel is the first (text) frame on a new websocket
// (docs/session-protocol.md#opening-the-websocket). Field
// order matters to nobody but is kept as the plugin sends it.
type OpenDataChannel struct {
	MessageSchemaVersion string `json:"MessageSchemaVersion"`
	RequestID            string `json:"RequestId"`
	TokenValue           string `json:"TokenValue"`
	ClientID             string `json:"ClientId"`
	ClientVersion        string `json:"ClientVersion,omitempty"`
}

// Acknowledge is the payload of an acknowledge message
// (docs/session-protocol.md#json-payloads).
type Acknowledge struct {
	AcknowledgedMessageType           string `json:"AcknowledgedMessageType"`
	AcknowledgedMessageID             string `json:"AcknowledgedMessageId"`
	AcknowledgedMessageSequenceNumber int64  `json:"AcknowledgedMessageSequenceNumber"`
	IsSequentialMessage               bool   `json:"IsSequentialMessage"`
}

// NewAck builds the acknowledge message for m: sequence 0, Flags 3,
// PayloadType 0.
func NewAck(m *Message) *Message {
	p, _ := json.Marshal(Acknowledge{
		AcknowledgedMessageType:           m.MessageType,
		AcknowledgedMessageID:             m.MessageID.String(),
		AcknowledgedMessageSequenceNumber: m.SequenceNumber,
		IsSequentialMessage:               true,
	})
	return NewMessage(TypeAcknowledge, 0, FlagsAck, PayloadNone, p)
}

// ParseAck decodes an acknowledge payload.
func ParseAck(m *Message) (Acknowledge, error) {
	var a Acknowledge
	if err := json.Unmarshal(m.Payload, &a); err != nil {
		return a, fmt.Errorf("decode acknowledge: %w", err)
	}
	return a, nil
}

// Client action types in the handshake.
const (
	ActionSessionType   = "SessionType"
	ActionKMSEncryption = "KMSEncryption"
)

// ActionStatus values in a HandshakeResponse.
const (
	ActionSuccess     = 1
	ActionFailed      = 2
	ActionUnsupported = 3
)

// RequestedClientAction is one action in a HandshakeRequest.
type RequestedClientAction struct {
	ActionType       string          `json:"ActionType"`
	ActionParameters json.RawMessage `json:"ActionParameters"`
}

// HandshakeRequest is sent by the agent as PayloadType 5.
type HandshakeRequest struct {
	AgentVersion           string                  `json:"AgentVersion"`
	RequestedClientActions []RequestedClientAction `json:"RequestedClientActions"`
}

// SessionTypeRequest is the ActionParameters of a SessionType action.
type SessionTypeRequest struct {
	SessionType string          `json:"SessionType"`
	Properties  json.RawMessage `json:"Properties"`
}

// KMSEncryptionRequest is the ActionParameters of a KMSEncryption action.
type KMSEncryptionRequest struct {
	KMSKeyID string `json:"KMSKeyId"`
}

// KMSEncryptionResponse is the ActionResult of a KMSEncryption action.
type KMSEncryptionResponse struct {
	KMSCipherTextKey  []byte  `json:"KMSCipherTextKey"`
	KMSCipherTextHash *string `json:"KMSCipherTextHash"`
}

// ProcessedClientAction is one entry of a HandshakeResponse.
type ProcessedClientAction struct {
	ActionType   string `json:"ActionType"`
	ActionStatus int    `json:"ActionStatus"`
	ActionResult any    `json:"ActionResult"`
	Error        string `json:"Error"`
}

// HandshakeResponse is sent by the client as PayloadType 6.
type HandshakeResponse struct {
	ClientVersion          string                  `json:"ClientVersion"`
	ProcessedClientActions []ProcessedClientAction `json:"ProcessedClientActions"`
	Errors                 []string                `json:"Errors"`
}

// HandshakeComplete is sent by the agent as PayloadType 7.
type HandshakeComplete struct {
	HandshakeTimeToComplete int64  `json:"HandshakeTimeToComplete"` // nanoseconds
	CustomerMessage         string `json:"CustomerMessage"`
}

// EncChallenge is the payload of PayloadTypes 8 and 9.
type EncChallenge struct {
	Challenge []byte `json:"Challenge"`
}

// ChannelClosed is the payload of a channel_closed message.
type ChannelClosed struct {
	MessageID     string `json:"MessageId"`
	CreatedDate   string `json:"CreatedDate"`
	DestinationID string `json:"DestinationId"`
	SessionID     string `json:"SessionId"`
	MessageType   string `json:"MessageType"`
	SchemaVersion int    `json:"SchemaVersion"`
	Output        string `json:"Output"`
}

// FlagPayload encodes a Flag message payload (PayloadType 10).
func FlagPayload(flag uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, flag)
	return b
}

// ParseFlag decodes a Flag payload.
func ParseFlag(p []byte) (uint32, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("decode flag: want 4 bytes, got %d", len(p))
	}
	return binary.BigEndian.Uint32(p), nil
}

func parseHandshakeRequest(p []byte) (HandshakeRequest, error) {
	var hr HandshakeRequest
	if err := json.Unmarshal(p, &hr); err != nil {
		return hr, fmt.Errorf("decode handshake request: %w", err)
	}
	return hr, nil
}

func parseChannelClosed(p []byte) (ChannelClosed, error) {
	var cc ChannelClosed
	if err := json.Unmarshal(p, &cc); err != nil {
		return cc, fmt.Errorf("decode channel_closed: %w", err)
	}
	return cc, nil
}
