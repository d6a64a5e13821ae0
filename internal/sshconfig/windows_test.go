package sshconfig

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// afterSSH is the line as ssh hands it to CreateProcessW, for host i-1
// and port 22.
func afterSSH(line string) string {
	line = strings.NewReplacer("%%", "%", "%h", "i-1", "%p", "22", "%r", "ec2-user").Replace(line)
	return line
}

func TestWindowsCommandLine(t *testing.T) {
	for _, c := range []struct {
		program string
		args    []string
		want    string
	}{
		{`C:\Program Files\ssmdoctor\ssmdoctor.exe`, []string{"proxy", "%h", "%p"},
			`"C:\Program Files\ssmdoctor\ssmdoctor.exe" proxy %h %p`},
		{`C:\Users\Zoë O'Brien\go\bin\ssmdoctor.exe`, []string{"proxy", "--profile", "dev", "--region", "eu-west-1", "%h", "%p"},
			`"C:\Users\Zoë O'Brien\go\bin\ssmdoctor.exe" proxy --profile dev --region eu-west-1 %h %p`},
		{`C:\100% tools\ssmdoctor.exe`, []string{"proxy", "%h", "%p"}, `"C:\100%% tools\ssmdoctor.exe" proxy %h %p`},
		{`\\fileserver\tools\ssmdoctor.exe`, []string{"proxy", "%h", "%p"}, `"\\fileserver\tools\ssmdoctor.exe" proxy %h %p`},
		{`C:/tools/ssmdoctor.exe`, []string{"proxy", "%h", "%p"}, `"C:/tools/ssmdoctor.exe" proxy %h %p`},
		{`C:\Program Files\Amazon\AWSCLIV2\aws.exe`, []string{"ssm", "start-session", "--target", "%h", "--document-name", "AWS-StartSSHSession", "--parameters", "portNumber=%p"},
			`"C:\Program Files\Amazon\AWSCLIV2\aws.exe" ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p`},
		{`C:\x.exe`, []string{"a b", `C:\dir with space\`, `say "hi"`, "", `tab	here`, `back\\slash`, "50%"},
			`"C:\x.exe" "a b" "C:\dir with space\\" "say \"hi\"" "" "tab	here" back\\slash 50%%`},
	} {
		got, err := WindowsCommandLine(c.program, c.args...)
		if err != nil || got != c.want {
			t.Errorf("WindowsCommandLine(%q, %q)\n got  %s (%v)\n want %s", c.program, c.args, got, err, c.want)
			continue
		}
		// What the program receives is what was meant.
		want := append([]string{c.program}, c.args...)
		for i := range want {
			want[i] = afterSSH(want[i])
		}
		if got := SplitWindowsCommandLine(afterSSH(got)); !slices.Equal(got, want) {
			t.Errorf("%s splits into %q, want %q", c.want, got, want)
		}
	}
}

func TestWindowsCommandLineRefuses(t *testing.T) {
	for _, p := range []string{`ssmdoctor.exe`, `bin\ssmdoctor.exe`, `/usr/local/bin/ssmdoctor`, `C:ssmdoctor.exe`, `C:\a"b\x.exe`, "C:\\x\n.exe", ""} {
		if line, err := WindowsCommandLine(p, "proxy"); err == nil {
			t.Errorf("program %q accepted: %s", p, line)
		}
	}
	if line, err := WindowsCommandLine(`C:\x.exe`, "a\nHost *"); err == nil {
		t.Errorf("an argument with a line break was accepted: %s", line)
	}
}

// Any argument, however hostile, reaches the program unchanged.
func TestWindowsArgRoundTrip(t *testing.T) {
	alphabet := []rune{'a', 'Z', '0', ' ', '\t', '"', '\\', '%', '\'', '&', '|', '^', '<', '>', '(', ')', '!', 'é', '雪', '=', ':', '*'}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		var args []string
		for range 1 + r.IntN(4) {
			var b strings.Builder
			for range r.IntN(12) {
				b.WriteRune(alphabet[r.IntN(len(alphabet))])
			}
			args = append(args, b.String())
		}
		var line strings.Builder
		line.WriteString(`"C:\Program Files\ssmdoctor.exe"`)
		for _, a := range args {
			q, err := WindowsArg(a)
			if err != nil {
				t.Fatal(err)
			}
			line.WriteString(" " + q)
		}
		// ssh turns %% into %; nothing else is a token after escaping.
		got := SplitWindowsCommandLine(strings.ReplaceAll(line.String(), "%%", "%"))
		if want := append([]string{`C:\Program Files\ssmdoctor.exe`}, args...); !slices.Equal(got, want) {
			t.Fatalf("%q\nwritten %s\nread    %q", args, line.String(), got)
		}
	}
}

func TestIsWindowsAbs(t *testing.T) {
	for p, want := range map[string]bool{`C:\x`: true, `c:/x`: true, `\\srv\share\x`: true, `//srv/share/x`: true,
		`C:x`: false, `\x`: false, `x\y`: false, `/x`: false, `\\srv`: false, ``: false} {
		if IsWindowsAbs(p) != want {
			t.Errorf("IsWindowsAbs(%q) = %v", p, !want)
		}
	}
}
