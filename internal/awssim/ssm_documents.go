package awssim

import (
	"encoding/json"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// runShellDoc is the account's Session Manager preferences document.
const runShellDoc = "SSM-SessionManagerRunShell"

// sessionDoc is a Session document the simulator knows: its type, the
// parameter defaults StartSession applies and the content GetDocument
// returns.
type sessionDoc struct {
	sessionType string
	defaults    map[string]string
	content     map[string]any
}

// portDocRE is the allowedPattern AWS's port documents put on portNumber.
const portDocRE = `^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$`

func portParam(desc, def string) map[string]any {
	return map[string]any{"type": "String", "description": desc, "allowedPattern": portDocRE, "default": def}
}

// localPortParam is the port forwarding documents' localPortNumber, whose
// pattern also admits 0 (any free port).
func localPortParam() map[string]any {
	return map[string]any{"type": "String", "description": "(Optional) Port number on local machine to forward traffic to. An open port is chosen at run-time if not provided", "allowedPattern": `^([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$`, "default": "0"}
}

// awsSessionDocs are the AWS-owned Session documents (account-independent).
var awsSessionDocs = map[string]sessionDoc{
	"AWS-StartSSHSession": {
		sessionType: "Port",
		defaults:    map[string]string{"portNumber": "22"},
		content: map[string]any{
			"schemaVersion": "1.0",
			"description":   "Document to start SSH session",
			"sessionType":   "Port",
			"parameters": map[string]any{
				"portNumber": portParam("(Optional) Port number of SSH server on the instance", "22"),
			},
			"properties": map[string]any{"portNumber": "{{ portNumber }}"},
		},
	},
	"AWS-StartPortForwardingSession": {
		sessionType: "Port",
		defaults:    map[string]string{"portNumber": "80", "localPortNumber": "0"},
		content: map[string]any{
			"schemaVersion": "1.0",
			"description":   "Document to start port forwarding session over Session Manager",
			"sessionType":   "Port",
			"parameters": map[string]any{
				"portNumber":      portParam("(Optional) Port number of the server on the instance", "80"),
				"localPortNumber": localPortParam(),
			},
			"properties": map[string]any{"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding", "localPortNumber": "{{ localPortNumber }}"},
		},
	},
	"AWS-StartPortForwardingSessionToRemoteHost": {
		sessionType: "Port",
		defaults:    map[string]string{"portNumber": "80", "localPortNumber": "0"},
		content: map[string]any{
			"schemaVersion": "1.0",
			"description":   "Document to start port forwarding session over Session Manager to a remote host",
			"sessionType":   "Port",
			"parameters": map[string]any{
				"host":            map[string]any{"type": "String", "description": "(Required) The IP address or host name of the remote host", "allowedPattern": `^[^\s]+$`},
				"portNumber":      portParam("(Optional) Port number of the server on the remote host", "80"),
				"localPortNumber": localPortParam(),
			},
			"properties": map[string]any{"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding", "localPortNumber": "{{ localPortNumber }}", "host": "{{ host }}"},
		},
	},
	tunnel.DocumentNonInteractiveCommand: commandSessionDoc(tunnel.SessionTypeNonInteractive, "Document to run single non-interactive command on an instance"),
	tunnel.DocumentInteractiveCommand:    commandSessionDoc(tunnel.SessionTypeInteractive, "Document to run single interactive command on an instance"),
}

// docCreated is when the simulated documents claim to have been created.
var docCreated = time.Date(2019, 7, 15, 0, 0, 0, 0, time.UTC)

// sessionDocument returns a known Session document (the preferences one
// built from prefs), its ARN and whether it exists.
func (st *State) sessionDocument(region, name string) (sessionDoc, string, bool) {
	if d, ok := awsSessionDocs[name]; ok {
		return d, "arn:aws:ssm:" + region + "::document/" + name, true
	}
	if name == runShellDoc {
		return runShellDocument(st.SessionPreferences), "arn:aws:ssm:" + region + ":" + st.AccountID + ":document/" + name, true
	}
	return sessionDoc{}, "", false
}

func runShellDocument(p SessionPreferences) sessionDoc {
	idle := p.IdleSessionTimeout
	if idle == "" {
		idle = "20"
	}
	return sessionDoc{
		sessionType: "Standard_Stream",
		content: map[string]any{
			"schemaVersion": "1.0",
			"description":   "Document to hold regional settings for Session Manager",
			"sessionType":   "Standard_Stream",
			"inputs": map[string]any{
				"s3BucketName":                p.S3BucketName,
				"s3KeyPrefix":                 "",
				"s3EncryptionEnabled":         p.S3EncryptionEnabled,
				"cloudWatchLogGroupName":      p.CloudWatchLogGroupName,
				"cloudWatchEncryptionEnabled": p.CloudWatchEncryption,
				"cloudWatchStreamingEnabled":  false,
				"kmsKeyId":                    p.KMSKeyID,
				"runAsEnabled":                p.RunAsEnabled,
				"runAsDefaultUser":            p.RunAsDefaultUser,
				"idleSessionTimeout":          idle,
				"maxSessionDuration":          p.MaxSessionDuration,
				"shellProfile":                map[string]string{"windows": "", "linux": p.ShellProfileLinux},
			},
		},
	}
}

func invalidDocument(name string) *APIError {
	return Errf("InvalidDocument", "Document with name %s does not exist.", name)
}

func (s *Sim) ssmGetDocument(c *Call) (any, error) {
	var in struct{ Name, DocumentVersion, VersionName, DocumentFormat string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if in.DocumentFormat != "" && in.DocumentFormat != "JSON" {
		// Only JSON is rendered; say so rather than mislabel content.
		return nil, Errf("InvalidDocumentOperation", "The simulator renders documents as JSON only.")
	}
	s.mu.Lock()
	doc, arn, ok := s.state.sessionDocument(c.Region, in.Name)
	s.mu.Unlock()
	if !ok {
		arn = s.acctARN("ssm", c.Region, "document/"+in.Name)
	}
	if err := s.authorize(c, "ssm:GetDocument", arn, nil); err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalidDocument(in.Name)
	}
	if in.DocumentVersion != "" && in.DocumentVersion != "1" && in.DocumentVersion != "$LATEST" && in.DocumentVersion != "$DEFAULT" {
		return nil, Errf("InvalidDocumentVersion", "Document with name %s and version %s does not exist.", in.Name, in.DocumentVersion)
	}
	content, err := json.MarshalIndent(doc.content, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"Name":            in.Name,
		"CreatedDate":     EpochSeconds(docCreated),
		"DocumentVersion": "1",
		"Status":          "Active",
		"Content":         string(content),
		"DocumentType":    "Session",
		"DocumentFormat":  "JSON",
	}, nil
}
