package awssim

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestSSMGetDocument(t *testing.T) {
	st := ssmFixture()
	st.SessionPreferences = SessionPreferences{KMSKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", S3BucketName: "logs", S3EncryptionEnabled: true,
		CloudWatchLogGroupName: "/ssm", RunAsEnabled: true, RunAsDefaultUser: "ssm-user", MaxSessionDuration: "60", ShellProfileLinux: "exec bash"}
	s := startSim(t, st, Options{})
	c := ssmAs(s, "ops")
	get := func(name string) map[string]any {
		t.Helper()
		out, err := c.GetDocument(context.Background(), &ssm.GetDocumentInput{Name: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if aws.ToString(out.Name) != name || out.DocumentType != "Session" || out.DocumentFormat != "JSON" || out.Status != "Active" || aws.ToString(out.DocumentVersion) != "1" {
			t.Errorf("%s: envelope %+v", name, out)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(out.Content)), &doc); err != nil {
			t.Fatalf("%s content: %v", name, err)
		}
		if doc["schemaVersion"] != "1.0" {
			t.Errorf("%s schemaVersion %v", name, doc["schemaVersion"])
		}
		return doc
	}
	ssh := get("AWS-StartSSHSession")
	port := ssh["parameters"].(map[string]any)["portNumber"].(map[string]any)
	if ssh["sessionType"] != "Port" || port["default"] != "22" || ssh["properties"].(map[string]any)["portNumber"] != "{{ portNumber }}" {
		t.Errorf("AWS-StartSSHSession: %v", ssh)
	}
	pf := get("AWS-StartPortForwardingSession")
	if pf["properties"].(map[string]any)["type"] != "LocalPortForwarding" {
		t.Errorf("port forwarding: %v", pf)
	}
	rh := get("AWS-StartPortForwardingSessionToRemoteHost")
	if rh["properties"].(map[string]any)["host"] != "{{ host }}" {
		t.Errorf("remote host: %v", rh)
	}
	shell := get("SSM-SessionManagerRunShell")
	in := shell["inputs"].(map[string]any)
	if shell["sessionType"] != "Standard_Stream" || in["kmsKeyId"] != st.SessionPreferences.KMSKeyID || in["s3BucketName"] != "logs" ||
		in["s3EncryptionEnabled"] != true || in["cloudWatchLogGroupName"] != "/ssm" || in["runAsEnabled"] != true ||
		in["runAsDefaultUser"] != "ssm-user" || in["idleSessionTimeout"] != "20" || in["maxSessionDuration"] != "60" ||
		in["shellProfile"].(map[string]any)["linux"] != "exec bash" {
		t.Errorf("preferences: %v", in)
	}

	_, err := c.GetDocument(context.Background(), &ssm.GetDocumentInput{Name: aws.String("AWS-Nope")})
	iamWantErr(t, err, "InvalidDocument", 400, "Document with name AWS-Nope does not exist.")
}
