package iampolicy

import "testing"

func BenchmarkEvaluate(b *testing.B) {
	p := sshPolicy(b)
	deny := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"BoolIfExists":{"aws:ViaAWSService":"false"}}}]}`)
	id := []NamedPolicy{{ID: "ssh", Type: "user", Policy: p}, {ID: "ip-guard", Type: "user", Policy: deny}}
	reqs := map[string]Request{
		"start-document": {Action: "ssm:StartSession", Resource: "arn:aws:ssm:us-east-1:123456789012:document/AWS-StartSSHSession",
			Context: ctxOf("ssm:SessionDocumentAccessCheck", "true", "|", "aws:SourceIp", "10.1.2.3")},
		"terminate-own": {Action: "ssm:TerminateSession", Resource: "arn:aws:ssm:us-east-1:123456789012:session/alice-0123",
			Context: ctxOf("aws:username", "alice", "|", "aws:SourceIp", "10.1.2.3")},
		"implicit-deny": {Action: "ssm:SendCommand", Resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"},
	}
	for name, req := range reqs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(id, id, req)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:StartSession"],"Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ssm:*:*:document/AWS-StartSSHSession"],"Condition":{"BoolIfExists":{"ssm:SessionDocumentAccessCheck":"true"}}},{"Effect":"Allow","Action":["ssm:TerminateSession"],"Resource":["arn:aws:ssm:*:*:session/${aws:username}-*"]}]}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
