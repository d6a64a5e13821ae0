package sshconfig

import (
	"strings"
	"testing"
)

// Only values that neither ssh's % expansion nor the shell can misread are
// written into a ProxyCommand.
func TestCheckProfileAndRegion(t *testing.T) {
	for _, ok := range []string{"default", "dev", "my.team_admin-2", "a+b@corp", strings.Repeat("p", MaxProfileLen)} {
		if err := CheckProfile(ok); err != nil {
			t.Errorf("CheckProfile(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "x'\nHost *\n  ProxyCommand touch /tmp/pwn\n#", "a%d", "it's", "a b", "$(id)", "a;b", "a\tb", "ü", strings.Repeat("p", MaxProfileLen+1)} {
		if err := CheckProfile(bad); err == nil {
			t.Errorf("CheckProfile(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"eu-west-1", "us-east-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"} {
		if err := CheckRegion(ok); err != nil {
			t.Errorf("CheckRegion(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "EU-WEST-1", "eu-west", "eu-west-1\nHost *", "eu-west-1 --profile x", "%h", "e-west-1", "eu-west-1a"} {
		if err := CheckRegion(bad); err == nil {
			t.Errorf("CheckRegion(%q) accepted", bad)
		}
	}
}

// The own file never carries a second line out of one ProxyCommand.
func TestRenderOwnFileRefusesLineBreaks(t *testing.T) {
	for _, pc := range []string{"x proxy\nHost *\n  ProxyCommand touch /tmp/pwn", "x\rproxy", "x\x00"} {
		if b, err := RenderOwnFile(pc); err == nil {
			t.Errorf("RenderOwnFile(%q) = %q", pc, b)
		}
	}
	if got := EscapePercent("/opt/100%/ssmdoctor %h"); got != "/opt/100%%/ssmdoctor %%h" {
		t.Errorf("EscapePercent = %q", got)
	}
}
