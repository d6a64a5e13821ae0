package awsfacts

import "testing"

// KMSKeyArn takes the three forms the preferences name a key by.
func TestKMSKeyArn(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"arn:aws:kms:eu-west-1:999:key/abc", "arn:aws:kms:eu-west-1:999:key/abc"},
		{"alias/sessions", "arn:aws-cn:kms:cn-north-1:123:alias/sessions"},
		{"1234abcd-12ab", "arn:aws-cn:kms:cn-north-1:123:key/1234abcd-12ab"},
	} {
		if got := KMSKeyArn("aws-cn", "cn-north-1", "123", c.id); got != c.want {
			t.Errorf("KMSKeyArn(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}
