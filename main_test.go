package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestUnknownCommandIsUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"ssmdoctor", "nonsense"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if got := stderr.String(); !strings.Contains(got, `error: unknown command "nonsense"`) || !strings.Contains(got, "hint: run 'ssmdoctor --help'") {
		t.Fatalf("stderr = %q", got)
	}
}

func TestVersionAndHelpExitZero(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--help"}, {"check", "--help"}, {"fix", "--help"}, {"sim", "--help"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"ssmdoctor"}, args...), strings.NewReader(""), &stdout, &stderr)
		if code != exitOK || stdout.Len() == 0 {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, stdout.Len(), stderr.String())
		}
	}
}
