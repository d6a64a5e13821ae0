package awsapi

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noCredentialsMachine leaves the SDK nothing but an instance metadata
// service that refuses IMDSv2 tokens, which is what makes the SDK warn
// "falling back to IMDSv1" on a laptop without credentials.
func noCredentialsMachine(t *testing.T) {
	t.Helper()
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(imds.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_REGION": "eu-west-1",
	} {
		t.Setenv(k, v)
	}
}

func retrieveWithStderr(t *testing.T, o Options) (stderr string, err error) {
	t.Helper()
	r, w, perr := os.Pipe()
	if perr != nil {
		t.Fatal(perr)
	}
	saved := os.Stderr
	os.Stderr = w // the SDK's default logger writes to os.Stderr
	defer func() { os.Stderr = saved }()
	clients, err := Load(t.Context(), o)
	if err == nil {
		_, err = clients.Config.Credentials.Retrieve(t.Context())
	}
	w.Close()
	b, _ := io.ReadAll(r)
	return string(b), err
}

func TestSDKWarningsAreQuietByDefault(t *testing.T) {
	noCredentialsMachine(t)
	stderr, err := retrieveWithStderr(t, Options{MaxAttempts: 1})
	if err == nil {
		t.Fatal("credentials resolved on a machine without any")
	}
	if stderr != "" {
		t.Fatalf("the SDK printed to stderr: %q", stderr)
	}
}

func TestSDKWarningsGoToLogTo(t *testing.T) {
	noCredentialsMachine(t)
	var log bytes.Buffer
	stderr, err := retrieveWithStderr(t, Options{MaxAttempts: 1, LogTo: &log})
	if err == nil {
		t.Fatal("credentials resolved on a machine without any")
	}
	// Proves the quiet test above exercised the path that warns.
	if !strings.Contains(log.String(), "falling back to IMDSv1") {
		t.Fatalf("LogTo got %q", log.String())
	}
	if stderr != "" {
		t.Fatalf("stderr %q", stderr)
	}
}
