package fix

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

const (
	healthyInst = "i-0a11600d000000001"
	// otherKey is a key the demo image does not authorize.
	otherKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOw0gBrqGxwq2bHtCGBAc2NVWY2gTfUjpyZ9mxIr1kHZ me@laptop"
)

func TestAuthorizeKeyPlanApplyIdempotent(t *testing.T) {
	st := awssim.DemoScenario()
	inst := st.Instances[healthyInst]
	inst.OS = awssim.DefaultOS(inst)
	delete(inst.OS.Files, "/home/ec2-user/.ssh")
	delete(inst.OS.Files, "/home/ec2-user/.ssh/authorized_keys")
	a, _ := vpcSim(t, st)
	key, err := ParsePublicKey([]byte(otherKey+"\n"), "/home/me/.ssh/id_ed25519.pub")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := PlanAuthorizeKey(ctx, a, healthyInst, AuthorizeKeyRequest{User: "ec2-user", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	p.Show(&shown)
	out := shown.String()
	for _, want := range []string{"ssm SendCommand", "DocumentName: AWS-RunShellScript", key.Fingerprint, "/home/me/.ssh/id_ed25519.pub"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "AAAA") {
		t.Errorf("plan shows key material, not only the fingerprint:\n%s", out)
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	again, err := PlanAuthorizeKey(ctx, a, healthyInst, AuthorizeKeyRequest{User: "ec2-user", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || !strings.Contains(again.Already, "is authorized for ec2-user") {
		t.Fatalf("second plan: %d steps, already %q", len(again.Steps), again.Already)
	}
}

func TestAuthorizeKeyRefusesMissingUser(t *testing.T) {
	a, _ := vpcSim(t, awssim.DemoScenario())
	key, _ := ParsePublicKey([]byte(otherKey), "k.pub")
	_, err := PlanAuthorizeKey(context.Background(), a, healthyInst, AuthorizeKeyRequest{User: "ubuntu", Key: key})
	if r, ok := IsRefusal(err); !ok || !strings.Contains(r.What, "has no user ubuntu") {
		t.Fatalf("missing user: %v", err)
	}
	_, err = PlanAuthorizeKey(context.Background(), a, "i-0bad0000000000006", AuthorizeKeyRequest{User: "ec2-user", Key: key})
	if r, ok := IsRefusal(err); !ok || !strings.Contains(r.What, "not Online") {
		t.Fatalf("connection lost: %v", err)
	}
}

func TestInstallEICPlanApply(t *testing.T) {
	st := awssim.DemoScenario()
	inst := st.Instances[healthyInst]
	inst.OS = awssim.DefaultOS(inst)
	inst.OS.Packages = []string{}
	delete(inst.OS.SSHD.Settings, "authorizedkeyscommand")
	delete(inst.OS.SSHD.Settings, "authorizedkeyscommanduser")
	a, _ := vpcSim(t, st)
	ctx := context.Background()
	p, err := PlanInstallEIC(ctx, a, healthyInst, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 {
		t.Fatalf("plan: %d steps, already %q", len(p.Steps), p.Already)
	}
	if err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	again, err := PlanInstallEIC(ctx, a, healthyInst, false)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || !strings.Contains(again.Already, "eic_run_authorized_keys") {
		t.Fatalf("after install: %d steps, already %q", len(again.Steps), again.Already)
	}
}
