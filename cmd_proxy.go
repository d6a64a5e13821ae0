package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// proxyEnv is the AWS view the proxy resolves with. Without --region it
// searches the account's other regions and remembers what it finds
// (cache is nil with --region: "this region only"). home is the default
// region, which scopes the cache.
func proxyEnv(cl *awsapi.Clients, g globals, home string, getenv func(string) string) (*awsfacts.AWSEnv, *awsfacts.RegionCache) {
	env := awsfacts.NewAWSEnv(cl)
	if g.region != "" {
		return env, nil
	}
	cache := awsfacts.DefaultRegionCache(g.profile, home, getenv)
	env.SearchOtherRegions(cache)
	return env, cache
}

// proxyCommand is ssh's ProxyCommand: stdin and stdout carry nothing but
// session bytes; everything for the user goes to stderr.
func proxyCommand() *cli.Command {
	return &cli.Command{
		Name:      "proxy",
		Usage:     "carry one SSH connection over Session Manager (use as ssh's ProxyCommand)",
		ArgsUsage: "TARGET PORT",
		Description: "ProxyCommand: ssmdoctor proxy %h %p\n" +
			"TARGET is an instance id (i-..., mi-...), a Name tag, a private or public IPv4 or IPv6 address,\n" +
			"or a private or public DNS name, resolved as by ssmdoctor check.",
		Flags: append(globalFlags(),
			&cli.IntFlag{Name: "chunk-size", Usage: "bytes per data channel message", Value: 1024},
			&cli.IntFlag{Name: "window", Usage: "unacknowledged messages in flight", Value: 512},
			&cli.StringFlag{Name: "stream-endpoint", Usage: "ssmmessages endpoint for the data channel (PrivateLink), e.g. https://vpce-....ssmmessages.us-east-1.vpce.amazonaws.com", EnvVars: []string{"SSMDOCTOR_STREAM_ENDPOINT"}},
		),
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageErr("run 'ssmdoctor proxy --help' for usage", "proxy: %v", err)
		},
		Action: func(c *cli.Context) error {
			g, err := readGlobals(c)
			if err != nil {
				return err
			}
			if c.NArg() != 2 {
				return usageErr("ProxyCommand ssmdoctor proxy %h %p", "proxy: want TARGET and PORT, got %d arguments", c.NArg())
			}
			target := c.Args().Get(0)
			if err := validateTarget(target); err != nil {
				return err
			}
			port, err := strconv.Atoi(c.Args().Get(1))
			if err != nil || port < 1 || port > 65535 {
				return usageErr("ProxyCommand ssmdoctor proxy %h %p: PORT is 1-65535", "proxy: invalid port %s", quoteShort(c.Args().Get(1)))
			}
			chunk, window := c.Int("chunk-size"), c.Int("window")
			if chunk < 1 || chunk > tunnel.MaxChunkSize {
				return usageErr("leave --chunk-size out for the default, 1024", "proxy: --chunk-size %d is out of range 1-%d", chunk, tunnel.MaxChunkSize)
			}
			if window < 1 || window > tunnel.MaxWindow {
				return usageErr("leave --window out for the default, 512", "proxy: --window %d is out of range 1-%d", window, tunnel.MaxWindow)
			}
			// --timeout bounds the setup (lookup and session open); the
			// session itself lasts as long as ssh keeps it.
			setup, cancel := g.bound(c.Context)
			defer cancel()
			ao := g.awsOptions(c.App.ErrWriter)
			cl, err := loadClients(setup, depsOf(c), ao)
			if err != nil {
				return err
			}
			home, getenv := cl.Region, depsOf(c).getenv
			env, cache := proxyEnv(cl, g, home, getenv)
			// An id goes straight to StartSession (ssh hands the proxy the
			// id it resolved), in the region remembered for it if any;
			// anything else is resolved first, in any region.
			id := target
			if awsfacts.IsInstanceID(target) {
				if r, cid, ok := cache.Get(target); ok && cid == target && r != cl.Region {
					// Remembered elsewhere; still searching, should it
					// have moved since.
					cl = cl.ForRegion(r)
					env, _ = proxyEnv(cl, g, home, getenv)
				}
			} else {
				t, err := resolveTarget(setup, env, target)
				if err != nil {
					return err
				}
				id = t.InstanceID
				if t.Region != cl.Region {
					cl = cl.ForRegion(t.Region)
					env = awsfacts.NewAWSEnv(cl) // found: this region only
				}
			}
			stderr := c.App.ErrWriter
			defer startProxyProfile(stderr)()
			logf := func(string, ...any) {}
			if g.verbose {
				logf = func(format string, a ...any) { fmt.Fprintf(stderr, "ssmdoctor proxy: "+format+"\n", a...) }
			}
			open := func() (*tunnel.Session, error) {
				return tunnel.Open(setup, tunnelaws.Sessions{Client: cl.SSM}, tunnel.Options{
					Target:         id,
					Port:           port,
					ChunkSize:      chunk,
					Window:         window,
					KMS:            tunnelaws.DataKeys{Client: cl.KMS},
					StreamEndpoint: c.String("stream-endpoint"),
					ClientVersion:  "1.2.0.0",
					ConnectTimeout: ao.ConnectTimeout,
					Logf:           logf,
				})
			}
			s, err := open()
			if err != nil && id == target && cache != nil && notHere(err) {
				// Refused here: the instance may live in another region
				// (one ssh config serves every region). Look, and try there.
				if t, rerr := awsfacts.ResolveTarget(setup, env, id); rerr == nil && t.Region != cl.Region {
					logf("%s is in %s; opening the session there", id, t.Region)
					cl = cl.ForRegion(t.Region)
					env = awsfacts.NewAWSEnv(cl) // found: this region only
					s, err = open()
				}
			}
			if err != nil {
				return openError(setup, env, target, id, err)
			}
			logf("session %s open to %s port %d", s.ID(), id, port)
			stdin := c.App.Reader
			if stdin == nil {
				stdin = os.Stdin
			}
			// ssh hangs up on its ProxyCommand as it exits. Catching that
			// lets the session be terminated instead of left to time out.
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGHUP)
			defer stop()
			runErr := s.Run(ctx, stdin, c.App.Writer)
			if ctx.Err() != nil && c.Context.Err() == nil {
				runErr = nil // hung up by ssh: a normal end
			}
			st := s.Stats()
			logf("session %s ended: %d messages sent, %d resent, %d received, %d duplicates, %d reconnects",
				s.ID(), st.Sent, st.Resent, st.Received, st.Duplicates, st.Reconnects)
			if cerr := s.Close(); cerr != nil {
				logf("%v", cerr)
			}
			if runErr != nil {
				return sessionError(id, runErr)
			}
			return nil
		},
	}
}
