package checks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLocalCredentials(t *testing.T) {
	ok := func(info CredentialsInfo) func(*fakeMachine, *Options) {
		return func(m *fakeMachine, _ *Options) {
			m.creds = func(context.Context) (CredentialsInfo, error) { return info, nil }
		}
	}
	bad := func(info CredentialsInfo, err string) func(*fakeMachine, *Options) {
		return func(m *fakeMachine, _ *Options) {
			m.creds = func(context.Context) (CredentialsInfo, error) { return info, errors.New(err) }
		}
	}
	runLocalCases(t, credentialsCheck, []localCase{
		{"static keys", ok(CredentialsInfo{Source: "EnvConfigCredentials"}), StatusPass, "resolved from EnvConfigCredentials (environment variables)", ""},
		{"profile keys", ok(CredentialsInfo{Source: "SharedConfigCredentials: /home/u/.aws/credentials", Profile: "dev"}), StatusPass, "(profile dev)", ""},
		{"valid for hours", ok(CredentialsInfo{Source: "SSOProvider", Profile: "dev", CanExpire: true, Expires: time.Now().Add(3 * time.Hour)}), StatusPass, "valid until", ""},
		{"expiring soon", ok(CredentialsInfo{Source: "AssumeRoleProvider", Profile: "ops", CanExpire: true, Expires: time.Now().Add(2 * time.Minute)}), StatusWarn, "expire in", "aws configure --profile ops"},
		{"expired", ok(CredentialsInfo{Source: "x", CanExpire: true, Expires: time.Now().Add(-time.Minute)}), StatusFail, "expired at", "aws configure"},
		{"sso token expired", bad(CredentialsInfo{Profile: "dev", SSO: true}, "refresh cached SSO token failed: token expired"), StatusFail, "SSO credentials", "aws sso login --profile dev"},
		{"sso profile from flag", func(m *fakeMachine, o *Options) {
			o.Profile = "prod"
			bad(CredentialsInfo{}, "the SSO session has expired or is invalid")(m, o)
		}, StatusFail, "SSO", "aws sso login --profile prod"},
		{"expired session token", bad(CredentialsInfo{}, "ExpiredToken: The security token included in the request is expired"), StatusFail, "expired", "aws configure"},
		{"missing profile", bad(CredentialsInfo{Profile: "nope"}, "failed to get shared config profile, nope: profile not found"), StatusFail, "does not exist", "aws configure --profile nope"},
		{"nothing", bad(CredentialsInfo{}, "failed to refresh cached credentials, no EC2 IMDS role found"), StatusFail, "no AWS credentials", "aws configure"},
		{"no probe wired", nil, StatusError, "could not load", ""},
	})
}

func TestLocalRegion(t *testing.T) {
	withCreds := func(region string) func(*fakeMachine, *Options) {
		return func(m *fakeMachine, _ *Options) {
			m.creds = func(context.Context) (CredentialsInfo, error) {
				return CredentialsInfo{Region: region}, errors.New("no credentials")
			}
		}
	}
	runLocalCases(t, regionCheck, []localCase{
		{"flag", func(_ *fakeMachine, o *Options) { o.Region = "eu-west-1" }, StatusPass, "eu-west-1 (from --region)", ""},
		// The flag is only what was typed: it beats the environment.
		{"flag beats AWS_REGION", func(m *fakeMachine, o *Options) { o.Region = "eu-west-1"; m.env["AWS_REGION"] = "us-east-1" }, StatusPass, "eu-west-1 (from --region)", ""},
		{"AWS_REGION beats the profile", func(m *fakeMachine, o *Options) {
			withCreds("ap-south-1")(m, o)
			m.env["AWS_REGION"] = "us-east-1"
		}, StatusPass, "us-east-1 (from AWS_REGION)", ""},
		{"profile, even without credentials", withCreds("ap-south-1"), StatusPass, "ap-south-1 (from the AWS configuration)", ""},
		{"env only", func(m *fakeMachine, _ *Options) { m.env["AWS_DEFAULT_REGION"] = "us-west-2" }, StatusPass, "us-west-2 (from AWS_DEFAULT_REGION)", ""},
		{"none", withCreds(""), StatusFail, "no AWS region", "AWS_REGION"},
		{"none with profile", func(m *fakeMachine, o *Options) { o.Profile = "dev"; withCreds("")(m, o) }, StatusFail, "no AWS region", "--profile dev"},
	})
}

func TestLocalSSHClient(t *testing.T) {
	runLocalCases(t, sshClientCheck, []localCase{
		{"present", nil, StatusPass, "OpenSSH_9.2p1 (/usr/bin/ssh)", ""},
		{"missing", func(m *fakeMachine, _ *Options) { delete(m.path, "ssh") }, StatusFail, "not on PATH", "openssh-client"},
		{"broken", func(m *fakeMachine, _ *Options) {
			m.runs["/usr/bin/ssh -V"] = fakeRun{stderr: "error while loading shared libraries", err: errors.New("exit status 127")}
		}, StatusFail, "does not run", ""},
	})
}

func userConfig(m *fakeMachine, body string) {
	m.files["/home/u/.ssh/config"] = fakeFile{mode: 0o600, data: body}
}

func TestLocalSSHConfig(t *testing.T) {
	const host = "i-0123456789abcdef0"
	runLocalCases(t, sshConfigCheck, []localCase{
		{"native proxy", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+nativeProxy)
			userConfig(m, "Host i-* mi-*\n  ProxyCommand ssmdoctor proxy %h %p\n")
		}, StatusPass, "ssmdoctor ProxyCommand, set at /home/u/.ssh/config line 2 (Host i-* mi-*)", ""},
		{"aws cli proxy", func(m *fakeMachine, _ *Options) { m.sshG(host, baseG+cliProxy) }, StatusPass, "aws-cli ProxyCommand", ""},
		{"no proxy", func(m *fakeMachine, _ *Options) { m.sshG(host, baseG) }, StatusWarn,
			"no Host block routes i-0123456789abcdef0 through Session Manager: plain ssh, scp and IDEs need one (ssmdoctor fix --ssh-config); ssmdoctor ssh and scp do not", "ssmdoctor fix --ssh-config"},
		{"shadowed by Host *", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+"proxycommand ssh -W %h:%p bastion\n")
			userConfig(m, "Host *\n  ProxyCommand ssh -W %h:%p bastion\n\nHost i-* mi-*\n  ProxyCommand ssmdoctor proxy %h %p\n")
		}, StatusFail, "line 5 (Host i-* mi-*) is shadowed by /home/u/.ssh/config line 2 (Host *)", "ssmdoctor fix --ssh-config"},
		{"another proxy", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+"proxycommand nc -X connect %h %p\n")
		}, StatusWarn, "not Session Manager", "ssmdoctor fix --ssh-config"},
		{"ssh refuses the config", func(m *fakeMachine, _ *Options) {
			m.runs["/usr/bin/ssh -G "+host] = fakeRun{stderr: "/home/u/.ssh/config line 2: no argument after keyword \"proxycommand\"\n", err: errors.New("exit status 255")}
		}, StatusFail, "ssh refuses its configuration", "ssmdoctor fix --ssh-config"},
	})
}

func TestLocalSSHConfigUsesTarget(t *testing.T) {
	m := newFakeMachine()
	m.sshG("i-0aaaaaaaaaaaaaaaa", baseG+nativeProxy)
	env := &Env{Local: m.local(), Target: &Target{Input: "web", InstanceID: "i-0aaaaaaaaaaaaaaaa"}}
	if r := sshConfigCheck().Run(context.Background(), env); r.Status != StatusPass {
		t.Fatalf("%+v (calls %v)", r, m.calls)
	}
}

func TestLocalSSHIdentity(t *testing.T) {
	const host = "i-0123456789abcdef0"
	runLocalCases(t, sshIdentityCheck, []localCase{
		{"default key 0600", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+nativeProxy)
			m.files["/home/u/.ssh/id_ed25519"] = fakeFile{mode: 0o600}
		}, StatusPass, "/home/u/.ssh/id_ed25519", ""},
		{"0400 is fine", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+nativeProxy)
			m.files["/home/u/.ssh/id_rsa"] = fakeFile{mode: 0o400}
		}, StatusPass, "id_rsa", ""},
		{"too open", func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+nativeProxy)
			m.files["/home/u/.ssh/id_rsa"] = fakeFile{mode: 0o644}
		}, StatusWarn, "/home/u/.ssh/id_rsa (0644)", "chmod 600 /home/u/.ssh/id_rsa"},
		{"explicit and missing", func(m *fakeMachine, _ *Options) {
			m.sshG(host, "identityfile ~/.ssh/work.pem\n"+baseG+nativeProxy)
			userConfig(m, "Host i-*\n  IdentityFile ~/.ssh/work.pem\n  ProxyCommand ssmdoctor proxy %h %p\n")
			m.files["/home/u/.ssh/id_rsa"] = fakeFile{mode: 0o600}
		}, StatusFail, "/home/u/.ssh/work.pem does not exist", "ssh-keygen"},
		{"no keys at all", func(m *fakeMachine, _ *Options) { m.sshG(host, baseG+nativeProxy) }, StatusWarn, "no private key found", "ssh-keygen -t ed25519"},
		{"IdentityFile none", func(m *fakeMachine, _ *Options) {
			m.sshG(host, "identityfile none\nuser ec2-user\n"+nativeProxy)
			userConfig(m, "Host i-*\n  IdentityFile none\n")
		}, StatusWarn, "no private key found", ""},
		{"one-time keys", func(_ *fakeMachine, o *Options) { o.Ephemeral = true }, StatusPass, "not needed", ""},
		{"ssh -G fails", func(m *fakeMachine, _ *Options) {
			m.runs["/usr/bin/ssh -G "+host] = fakeRun{err: errors.New("exit status 255")}
		}, StatusError, "could not read", ""},
	})
}

func TestLocalPlugin(t *testing.T) {
	const host = "i-0123456789abcdef0"
	cli := func(version string, err error) func(*fakeMachine, *Options) {
		return func(m *fakeMachine, _ *Options) {
			m.sshG(host, baseG+cliProxy)
			m.path["aws"] = "/usr/bin/aws"
			m.path["session-manager-plugin"] = "/usr/local/bin/session-manager-plugin"
			m.runs["/usr/local/bin/session-manager-plugin --version"] = fakeRun{stdout: version, err: err}
		}
	}
	runLocalCases(t, pluginCheck, []localCase{
		{"native proxy: not needed", func(m *fakeMachine, _ *Options) { m.sshG(host, baseG+nativeProxy) }, StatusPass, "not needed: the native proxy needs neither CLI nor plugin", ""},
		{"no proxy: not needed", func(m *fakeMachine, _ *Options) { m.sshG(host, baseG) }, StatusPass, "not needed", ""},
		{"current", cli("1.2.707.0\n", nil), StatusPass, "session-manager-plugin 1.2.707.0", ""},
		{"exactly the minimum", cli("1.1.23.0\n", nil), StatusPass, "1.1.23.0", ""},
		{"too old", cli("1.1.17.0\n", nil), StatusFail, "older than 1.1.23.0", "ssmdoctor fix --ssh-config"},
		{"wrong CPU", cli("", fmt.Errorf("fork/exec: %w", errors.New("exec format error"))), StatusFail, "built for another CPU", "ssmdoctor fix --ssh-config"},
		{"no version printed", cli("hello\n", nil), StatusWarn, "no version", ""},
		{"plugin missing", func(m *fakeMachine, o *Options) {
			cli("", nil)(m, o)
			delete(m.path, "session-manager-plugin")
		}, StatusFail, "session-manager-plugin is not on PATH", "ssmdoctor fix --ssh-config"},
		{"plugin in the installer's directory", func(m *fakeMachine, o *Options) {
			cli("", nil)(m, o)
			delete(m.path, "session-manager-plugin")
			m.files["/usr/local/sessionmanagerplugin/bin/session-manager-plugin"] = fakeFile{mode: 0o755}
			m.runs["/usr/local/sessionmanagerplugin/bin/session-manager-plugin --version"] = fakeRun{stdout: "1.2.553.0\n"}
		}, StatusPass, "1.2.553.0", ""},
		{"aws cli missing", func(m *fakeMachine, o *Options) {
			cli("1.2.707.0", nil)(m, o)
			delete(m.path, "aws")
		}, StatusFail, "AWS CLI is not on PATH", ""},
		{"config unreadable", func(m *fakeMachine, _ *Options) {
			m.runs["/usr/bin/ssh -G "+host] = fakeRun{err: errors.New("exit status 255")}
		}, StatusSkip, "unknown whether", ""},
	})
}

func TestLocalProxyEnv(t *testing.T) {
	env := func(kv ...string) func(*fakeMachine, *Options) {
		return func(m *fakeMachine, o *Options) {
			o.Region = "eu-west-1"
			for i := 0; i < len(kv); i += 2 {
				m.env[kv[i]] = kv[i+1]
			}
		}
	}
	runLocalCases(t, proxyEnvCheck, []localCase{
		{"none", env(), StatusPass, "no HTTPS proxy", ""},
		{"http only", env("HTTP_PROXY", "http://p:80"), StatusPass, "no HTTPS proxy", ""},
		{"https proxy", env("HTTPS_PROXY", "http://proxy.corp:3128"), StatusWarn, "HTTPS_PROXY=http://proxy.corp:3128", "NO_PROXY"},
		{"lower-case all_proxy", env("all_proxy", "socks5://10.0.0.1:1080"), StatusWarn, "all_proxy=socks5://10.0.0.1:1080", "NO_PROXY"},
		{"covered by suffix", env("HTTPS_PROXY", "http://p:1", "NO_PROXY", "localhost,.amazonaws.com"), StatusPass, "NO_PROXY covers ssmmessages.eu-west-1.amazonaws.com", ""},
		{"covered by wildcard", env("https_proxy", "http://p:1", "no_proxy", "*"), StatusPass, "covers", ""},
		{"covered by exact host", env("HTTPS_PROXY", "http://p:1", "NO_PROXY", "ssmmessages.eu-west-1.amazonaws.com"), StatusPass, "covers", ""},
		{"other region not covered", env("HTTPS_PROXY", "http://p:1", "NO_PROXY", "ssmmessages.us-east-1.amazonaws.com"), StatusWarn, "HTTPS_PROXY", ""},
		{"credentials hidden", env("HTTPS_PROXY", "http://alice:s3cr3t@proxy:8080"), StatusWarn, "http://proxy:8080 (credentials hidden)", ""},
	})
}

// A secret in a proxy URL must not appear anywhere in the result.
func TestProxyEnvNeverPrintsCredentials(t *testing.T) {
	for _, v := range []string{"http://alice:s3cr3t@proxy:8080", "alice:s3cr3t@proxy:8080", "http://s3cr3t@proxy", "%%s3cr3t"} {
		m := newFakeMachine()
		m.env["HTTPS_PROXY"] = v
		r := proxyEnvCheck().Run(context.Background(), &Env{Local: m.local(), Options: Options{Region: "us-east-1"}})
		if strings.Contains(fmt.Sprintf("%+v", r), "s3cr3t") {
			t.Errorf("%q leaked: %+v", v, r)
		}
	}
}

// The real `ssh -G` against files in a temp HOME: the fakes above must
// describe what OpenSSH actually does.
func TestLocalSSHConfigRealSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		requireInCI(t, "ssh client not installed")
	}
	cases := []struct {
		name, config string
		status       Status
		message      string
	}{
		{"native", "Host i-* mi-*\n  ProxyCommand ssmdoctor proxy %h %p\n  User ec2-user\n", StatusPass, "ssmdoctor ProxyCommand, set at"},
		{"aws cli", "Host i-* mi-*\n  ProxyCommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters 'portNumber=%p'\"\n", StatusPass, "aws-cli ProxyCommand"},
		{"shadowed", "Host *\n  ProxyCommand ssh -W %h:%p jump\nHost i-*\n  ProxyCommand ssmdoctor proxy %h %p\n", StatusFail, "is shadowed by"},
		{"absent", "Host web\n  User alice\n", StatusWarn, "no Host block routes"},
		{"malformed", "Host i-*\n  ProxyCommand\n", StatusFail, "ssh refuses its configuration"},
		{"unknown keyword", "Host i-*\n  Bogus yes\n", StatusFail, "ssh refuses its configuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			writeConfig(t, home, c.config, 0o600)
			local := NewLocalEnv()
			local.HomeDir = func() (string, error) { return home, nil }
			local.SSHConfigFile = home + "/.ssh/config"
			r := sshConfigCheck().Run(context.Background(), &Env{Local: local})
			if r.Status != c.status || !strings.Contains(r.Message, c.message) {
				t.Fatalf("got %s %q %q", r.Status, r.Message, r.Details)
			}
		})
	}
}
