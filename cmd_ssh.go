package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/onetimekey"
)

// sshCommand runs the system ssh through this binary's proxy. ssh's own
// options are passed through untouched, so the command is not parsed by
// urfave/cli.
func sshCommand() *cli.Command {
	return &cli.Command{
		Name:            "ssh",
		Usage:           "ssh to an instance through Session Manager (no plugin, no AWS CLI)",
		ArgsUsage:       "[--profile P] [--region R] [--ephemeral-key] [--no-preflight] [ssh options] [user@]TARGET [command]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			p, err := parseSSHArgs(c.Args().Slice())
			if err != nil {
				return err
			}
			if p.ours.help {
				return printHelp(c.App.Writer, sshHelp)
			}
			if err := p.ours.mergeGlobals(c); err != nil {
				return err
			}
			t, err := prepareTarget(c, p.ours, p.target)
			if err != nil {
				return err
			}
			osUser := p.user
			if osUser == "" && !p.loginOpt {
				osUser = defaultUser(t.platform)
			}
			keyUser := osUser
			if keyUser == "" {
				keyUser = loginFromOpts(p.opts)
			}
			args, release, err := t.openSSHOptions(c, p.ours, p.identity, keyUser)
			if err != nil {
				return err
			}
			defer release()
			args = append(args, p.opts...)
			dest := t.id
			if osUser != "" { // empty only with -l and no user@: ssh takes -l
				dest = osUser + "@" + t.id
			}
			args = append(args, "--", dest)
			args = append(args, p.command...)
			return runOpenSSH(c, "ssh", args)
		},
	}
}

// mergeGlobals fills what the command line left unset from the global
// flags given before the command name (ssmdoctor --profile p ssh ...),
// and validates the result as every command does.
func (f *ourFlags) mergeGlobals(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	if f.profile == "" {
		f.profile = g.profile
	}
	if f.region == "" {
		f.region = g.region
	}
	f.verbose = f.verbose || g.verbose
	if f.timeout == 0 {
		f.timeout = g.timeout
	}
	if f.connectTimeout == 0 {
		f.connectTimeout = g.connectTimeout
	}
	return f.globals().validate()
}

// globals are ssh's and scp's own flags as every command's globals.
func (f ourFlags) globals() globals {
	return globals{profile: f.profile, region: f.region, verbose: f.verbose, timeout: f.timeout, connectTimeout: f.connectTimeout}
}

// openSSHOptions are the options ssh and scp both get: the proxy, the
// host key alias and, when asked for or when the user has no key of their
// own, a one-time key for keyUser. release removes the key; call it once
// the tool has exited.
func (t *preparedTarget) openSSHOptions(c *cli.Context, f ourFlags, identity bool, keyUser string) (args []string, release func(), err error) {
	args = []string{"-o", "ProxyCommand=" + t.proxy, "-o", "HostKeyAlias=" + t.id}
	d := depsOf(c)
	home, _ := d.passwdHome()
	if !f.ephemeral && (identity || onetimekey.UserHasKey(home, d.getenv("SSH_AUTH_SOCK"))) {
		return args, func() {}, nil
	}
	key, err := t.oneTimeKey(c, keyUser)
	if err != nil {
		return nil, nil, err
	}
	// On Windows the agent's pipe reaches ssh through SSH_AUTH_SOCK; the
	// child inherits this process's environment.
	for _, kv := range key.Env() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			os.Setenv(k, v)
		}
	}
	return append(args, key.SSHOptions()...), func() { key.Close() }, nil
}

// preparedTarget is what ssh and scp share: the instance id, the
// ProxyCommand that reaches it and the clients for key pushes.
type preparedTarget struct {
	id       string
	platform string
	proxy    string
	clients  *awsapi.Clients
	timeout  time.Duration // --timeout: bounds the key push too
}

func prepareTarget(c *cli.Context, f ourFlags, target string) (*preparedTarget, error) {
	if err := validateTarget(target); err != nil {
		return nil, err
	}
	g := f.globals()
	ctx, cancel := g.bound(c.Context)
	defer cancel()
	d := depsOf(c)
	cl, err := loadClients(ctx, d, g.awsOptions(c.App.ErrWriter))
	if err != nil {
		return nil, err
	}
	env := awsfacts.NewAWSEnv(cl)
	if f.region == "" {
		env.SearchOtherRegions(awsfacts.DefaultRegionCache(f.profile, cl.Region, d.getenv))
	}
	// The document the session will start: the preflight evaluates it.
	opts := checks.Options{Profile: f.profile, Region: f.region}
	// An id is looked up unless nothing would use the answer: no preflight,
	// or one that passed moments ago. The proxy then explains an id that
	// does not exist, and finds one that lives in another region.
	var cacheFile, cachedPlatform string
	cached := false
	if awsfacts.IsInstanceID(target) && !f.noPreflight {
		cacheFile = preflightCacheFile(ctx, env, opts, target, d.getenv)
		cachedPlatform, cached = readPreflightCache(cacheFile)
	}
	rt := &awsfacts.Target{Input: target, InstanceID: target, Region: cl.Region, Hybrid: strings.HasPrefix(target, "mi-")}
	if !awsfacts.IsInstanceID(target) || !f.noPreflight && !cached {
		if rt, err = resolveTarget(ctx, env, target); err != nil {
			return nil, err
		}
		if rt.Region != cl.Region {
			// Found in another region: the preflight, the key push and
			// the proxy all work there.
			cl = cl.ForRegion(rt.Region)
			env = awsfacts.NewAWSEnv(cl)
			f.region = rt.Region
		}
	}
	t := &preparedTarget{id: rt.InstanceID, clients: cl, timeout: f.timeout, platform: cachedPlatform}
	if !f.noPreflight && !cached {
		if cacheFile == "" { // a name: its entry is the id it resolved to
			cacheFile = preflightCacheFile(ctx, env, opts, rt.InstanceID, d.getenv)
		}
		// env remembers what resolution saw: the state is not asked again.
		if t.platform, err = sshPreflight(ctx, env, opts, rt, cacheFile, c.App.ErrWriter); err != nil {
			return nil, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, internalErr("", fmt.Errorf("find this program's path for ProxyCommand: %w", err))
	}
	t.proxy = proxyCommandFor(self, f)
	return t, nil
}

func (t *preparedTarget) oneTimeKey(c *cli.Context, osUser string) (*onetimekey.Key, error) {
	if osUser == "" {
		return nil, usageErr("give the user as user@TARGET", "a one-time key needs the OS user name")
	}
	k, err := onetimekey.New()
	if err != nil {
		return nil, internalErr("", err)
	}
	ctx := c.Context
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	if err := k.Push(ctx, t.clients.EIC, t.id, osUser); err != nil {
		k.Close()
		return nil, &exitError{code: exitProblems, err: err, hint: "run: ssmdoctor check " + t.id}
	}
	return k, nil
}

func loginFromOpts(opts []string) string {
	for i := 0; i+1 < len(opts); i++ {
		if opts[i] == "-l" {
			return opts[i+1]
		}
	}
	return ""
}

// runOpenSSH runs ssh or scp in the foreground and returns its exit
// status as ours. Ctrl-C reaches the child through the terminal; this
// process only waits, so its deferred cleanup (the one-time key) runs.
func runOpenSSH(c *cli.Context, tool string, args []string) error {
	bin, err := exec.LookPath(tool)
	if err != nil {
		return internalErr("install the OpenSSH client", fmt.Errorf("find %s: %w", tool, err))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = c.App.Reader
	cmd.Stdout = c.App.Writer
	cmd.Stderr = c.App.ErrWriter
	if err := cmd.Start(); err != nil {
		return internalErr("", fmt.Errorf("run %s: %w", tool, err))
	}
	// A SIGTERM or SIGINT sent to this process alone (kill, a
	// supervisor) must still stop the child; a terminal's Ctrl-C reaches
	// it directly as well.
	waited := make(chan struct{})
	go func() {
		select {
		case <-c.Context.Done():
			cmd.Process.Signal(syscall.SIGTERM)
		case <-waited:
		}
	}()
	err = cmd.Wait()
	close(waited)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if code < 0 {
			code = 255 // killed by a signal
		}
		return codeOnly(code)
	}
	return internalErr("", fmt.Errorf("run %s: %w", tool, err))
}
