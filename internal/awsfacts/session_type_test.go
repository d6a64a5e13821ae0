package awsfacts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts/awsfactstest"
)

// TestDocumentSessionType: the AWS documents are known without a call; a
// custom document's type comes from its content, read once, as JSON; a
// document that names no session type, or cannot be read, is an error
// naming ssm:GetDocument. Port is the one type the key does not encrypt.
func TestDocumentSessionType(t *testing.T) {
	f := awsfactstest.NewFake()
	var asked []ssm.GetDocumentInput
	f.On("GetDocument", func(in any) (any, error) {
		gi := *in.(*ssm.GetDocumentInput)
		asked = append(asked, gi)
		switch aws.ToString(gi.Name) {
		case "Team-Tunnel":
			return &ssm.GetDocumentOutput{Content: aws.String(`{"schemaVersion":"1.0","sessionType":"Port","inputs":{}}`)}, nil
		case "Team-Shell":
			return &ssm.GetDocumentOutput{Content: aws.String(`{"schemaVersion":"1.0","sessionType":"Standard_Stream"}`)}, nil
		case "Team-Command":
			return &ssm.GetDocumentOutput{Content: aws.String(`{"schemaVersion":"2.2","mainSteps":[]}`)}, nil
		}
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: ssm:GetDocument"}
	})
	a := f.View("us-east-1")
	ctx := context.Background()
	for doc, want := range map[string]string{
		"": "Standard_Stream", "AWS-StartSSHSession": "Port", "AWS-StartPortForwardingSession": "Port",
		"AWS-StartPortForwardingSessionToRemoteHost": "Port", "SSM-SessionManagerRunShell": "Standard_Stream",
		"AWS-StartInteractiveCommand": "InteractiveCommands", "AWS-StartNonInteractiveCommand": "NonInteractiveCommands",
		"Team-Tunnel": "Port", "Team-Shell": "Standard_Stream",
	} {
		got, err := a.DocumentSessionType(ctx, doc)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", doc, got, err, want)
		}
	}
	if _, err := a.DocumentSessionType(ctx, "Team-Tunnel"); err != nil || len(asked) != 2 {
		t.Errorf("asked again: %d GetDocument calls (%v), want 2, one per custom document", len(asked), err)
	}
	for _, in := range asked {
		if in.DocumentFormat != ssmtypes.DocumentFormatJson {
			t.Errorf("GetDocument %s asked as %q, want JSON", aws.ToString(in.Name), in.DocumentFormat)
		}
	}
	for _, doc := range []string{"Team-Command", "Team-Secret"} {
		var ce *awsfacts.CallError
		if _, err := a.DocumentSessionType(ctx, doc); !errors.As(err, &ce) || ce.Call != "ssm:GetDocument" {
			t.Errorf("%s: %v, want an error naming ssm:GetDocument", doc, err)
		}
	}
	if awsfacts.KMSEncrypts("Port") || !awsfacts.KMSEncrypts("Standard_Stream") || !awsfacts.KMSEncrypts("InteractiveCommands") {
		t.Error("KMSEncrypts: want every session type but Port")
	}
}
