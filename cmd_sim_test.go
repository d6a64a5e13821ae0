package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSimPrintsWorkingEnvironment runs `ssmdoctor sim`, reads the exports it
// prints, and proves they reach the simulator as the chosen user.
func TestSimPrintsWorkingEnvironment(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"ssmdoctor", "sim", "--as", "alice"}, strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	env := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("unexpected line %q", sc.Text())
		}
		env[k] = v
		if k == "AWS_ENDPOINT_URL_KMS" {
			break
		}
	}
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL_SSM"} {
		if env[k] == "" {
			t.Fatalf("sim did not print %s (got %v)", k, env)
		}
	}
	client := sts.New(sts.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the printed environment: %v", err)
	}
	if got := aws.ToString(out.Arn); !strings.HasSuffix(got, ":user/alice") {
		t.Fatalf("caller = %s, want user/alice", got)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("sim exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after cancellation")
	}
	if !strings.Contains(stderr.String(), "simulator listening on http://127.0.0.1:") {
		t.Fatalf("stderr = %q", stderr.String())
	}
}

func TestSimUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "--as", "nobody"}, `no access key for user "nobody"`},
		{[]string{"sim", "--scenario", "/nonexistent/scenario.json"}, "read scenario"},
		{[]string{"sim", "extra"}, "sim takes no arguments"},
		{[]string{"sim", "--env-file", ""}, "sim: --env-file needs a file name"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"ssmdoctor"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "hint:") {
			t.Errorf("%v: stderr %q, want %q and a hint", tc.args, stderr.String(), tc.want)
		}
	}
}
