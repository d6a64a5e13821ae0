package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

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
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageErr("ProxyCommand ssmdoctor proxy %h %p", "proxy: want TARGET and PORT, got %d arguments", c.NArg())
			}
			target := c.Args().Get(0)
			if err := validateTarget(target); err != nil {
				return err
			}
			port, err := strconv.Atoi(c.Args().Get(1))
			if err != nil || port < 1 || port > 65535 {
				return usageErr("", "proxy: invalid port %q", c.Args().Get(1))
			}
			stderr := c.App.ErrWriter
			ao := awsapi.Options{Profile: c.String("profile"), Region: c.String("region"), ConnectTimeout: connectTimeout(c)}
			if c.Bool("verbose") {
				ao.LogTo = stderr
			}
			cl, err := loadClients(c.Context, ao)
			if err != nil {
				return err
			}
			env := checks.NewAWSEnv(cl)
			// An id goes straight to StartSession: ssh hands the proxy the
			// id it resolved, and openError looks one up only if it fails.
			id := target
			if !instanceIDRe.MatchString(target) {
				if id, err = resolveTarget(c.Context, env, target); err != nil {
					return err
				}
			}
			defer startProxyProfile(stderr)()
			logf := func(string, ...any) {}
			if c.Bool("verbose") {
				logf = func(format string, a ...any) { fmt.Fprintf(stderr, "ssmdoctor proxy: "+format+"\n", a...) }
			}
			s, err := tunnel.Open(c.Context, tunnelaws.Sessions{Client: cl.SSM}, tunnel.Options{
				Target:         id,
				Port:           port,
				ChunkSize:      c.Int("chunk-size"),
				Window:         c.Int("window"),
				KMS:            tunnelaws.DataKeys{Client: cl.KMS},
				StreamEndpoint: c.String("stream-endpoint"),
				ClientVersion:  "1.2.0.0",
				ConnectTimeout: ao.ConnectTimeout,
				Logf:           logf,
			})
			if err != nil {
				return openError(c.Context, env, target, id, err)
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
