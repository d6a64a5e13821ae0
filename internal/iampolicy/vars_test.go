package iampolicy

import (
	"reflect"
	"testing"
)

func TestExpand(t *testing.T) {
	ctx := Context{}
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:userid", "AIDAEXAMPLE")
	ctx.Set("aws:PrincipalTag/Team", "blue*")
	ctx.Set("aws:SourceIp", "10.0.0.1", "10.0.0.2")
	ctx.Set("ssm:resourceTag/env", "prod")

	tests := []struct {
		name, in    string
		vars, glob  bool
		want        string
		wantOK      bool
		wantMissing []string
	}{
		{"no variable", "arn:aws:s3:::b/*", true, true, "arn:aws:s3:::b/*", true, nil},
		{"username", "session/${aws:username}-*", true, true, "session/alice-*", true, nil},
		{"case-insensitive key", "${AWS:UserName}", true, false, "alice", true, nil},
		{"userid", "home/${aws:userid}/", true, false, "home/AIDAEXAMPLE/", true, nil},
		{"principal tag value escaped in glob", "t/${aws:PrincipalTag/team}", true, true, "t/blue\x00*", true, nil},
		{"principal tag value plain", "t/${aws:PrincipalTag/team}", true, false, "t/blue*", true, nil},
		{"any context key", "${ssm:resourceTag/env}-x", true, false, "prod-x", true, nil},
		{"escapes in glob", "a${*}b${?}c${$}d", true, true, "a\x00*b\x00?c$d", true, nil},
		{"escapes plain", "a${*}b${?}c${$}d", true, false, "a*b?c$d", true, nil},
		{"missing variable", "session/${aws:userid}-${aws:FederatedProvider}", true, true, "", false, []string{"aws:FederatedProvider"}},
		{"multi-valued variable", "${aws:SourceIp}", true, false, "", false, []string{"aws:SourceIp"}},
		{"default used", "${aws:PrincipalTag/dept, 'none'}", true, false, "none", true, nil},
		{"default with spaces and brace", "${aws:PrincipalTag/dept ,  'a}b' }/x", true, false, "a}b/x", true, nil},
		{"default not used", "${aws:username, 'nobody'}", true, false, "alice", true, nil},
		{"default escaped in glob", "${x,'*'}", true, true, "\x00*", true, nil},
		{"unterminated", "a${aws:username", true, false, "a${aws:username", true, nil},
		{"empty variable is text", "a${}b", true, false, "a${}b", true, nil},
		{"bad default is text", "${x, nope}", true, false, "${x, nope}", true, nil},
		{"unterminated default", "${x, 'nope}", true, false, "${x, 'nope}", true, nil},
		{"vars disabled", "session/${aws:username}-*", false, true, "session/${aws:username}-*", true, nil},
		{"NUL escaped in glob", "a\x00${aws:username}", true, true, "a\x00\x00alice", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var missing []string
			got, ok := expand(tt.in, ctx, tt.vars, tt.glob, func(k string) { missing = append(missing, k) })
			if got != tt.want || ok != tt.wantOK || !reflect.DeepEqual(missing, tt.wantMissing) {
				t.Errorf("expand(%q) = %q, %v, missing %q; want %q, %v, %q", tt.in, got, ok, missing, tt.want, tt.wantOK, tt.wantMissing)
			}
		})
	}
}

func TestContext(t *testing.T) {
	c := Context{}
	vals := []string{"a"}
	c.Set("AWS:UserName", vals...)
	vals[0] = "changed"
	if v, ok := c.Get("aws:username"); !ok || !reflect.DeepEqual(v, []string{"a"}) {
		t.Errorf("Get = %q, %v", v, ok)
	}
	if _, ok := c["aws:username"]; !ok {
		t.Error("key not stored lowercased")
	}
	c.Set("empty")
	if _, ok := c.Get("EMPTY"); ok {
		t.Error("a key without values must count as absent")
	}
	lit := Context{"aws:PrincipalTag/Team": {"x"}}
	if v, ok := lit.Get("aws:principaltag/team"); !ok || v[0] != "x" {
		t.Error("mixed-case literal key not found")
	}
	c.Set("Tag/Équipe", "bleu")
	if v, ok := c.Get("TAG/éQUIPE"); !ok || v[0] != "bleu" {
		t.Error("non-ASCII key not matched case-insensitively")
	}
	var nilCtx Context
	if _, ok := nilCtx.Get("x"); ok {
		t.Error("nil context has a key")
	}
}
