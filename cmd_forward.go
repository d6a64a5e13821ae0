package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/checks/checkrun"
	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// The documents forward starts: the instance's own port, or a host the
// instance reaches.
const (
	docPortForward       = "AWS-StartPortForwardingSession"
	docPortForwardRemote = "AWS-StartPortForwardingSessionToRemoteHost"
)

// forwardSpec is one -L [BIND:]LOCALPORT:HOST:PORT.
type forwardSpec struct {
	raw       string
	bind      string // "" for every interface (*)
	localPort int    // 0: any free port
	host      string // without brackets
	port      int
}

// toInstance: HOST names the instance itself, which the plainer
// AWS-StartPortForwardingSession reaches (and policies allow more often).
func (f forwardSpec) toInstance() bool {
	switch strings.ToLower(f.host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

func (f forwardSpec) document(custom string) string {
	switch {
	case custom != "":
		return custom
	case f.toInstance():
		return docPortForward
	}
	return docPortForwardRemote
}

// parameters are the document's: portNumber, localPortNumber (the port
// actually bound) and, to a remote host, host.
func (f forwardSpec) parameters(boundPort int) map[string][]string {
	p := map[string][]string{"portNumber": {strconv.Itoa(f.port)}, "localPortNumber": {strconv.Itoa(boundPort)}}
	if !f.toInstance() {
		p["host"] = []string{f.host}
	}
	return p
}

func (f forwardSpec) dest() string { return net.JoinHostPort(f.host, strconv.Itoa(f.port)) }

const forwardSpecHint = "give -L [BIND:]LOCALPORT:HOST:PORT as for ssh, e.g. -L 5432:mydb.abc.eu-west-1.rds.amazonaws.com:5432 (an IPv6 address in brackets: -L [::1]:8080:localhost:80)"

// parseForwardSpec reads ssh's -L syntax: fields separated by colons, an
// IPv6 address in brackets. BIND defaults to 127.0.0.1; "*" or an empty
// BIND means every interface; "localhost" is 127.0.0.1.
func parseForwardSpec(s string) (forwardSpec, error) {
	bad := func(format string, a ...any) (forwardSpec, error) {
		return forwardSpec{}, usageErr(forwardSpecHint, "forward: -L %s: %s", quoteShort(s), fmt.Sprintf(format, a...))
	}
	fields, ok := splitColons(s)
	if !ok {
		return bad("unbalanced brackets")
	}
	f := forwardSpec{raw: s, bind: "127.0.0.1"}
	switch len(fields) {
	case 3:
	case 4:
		f.bind = fields[0]
		fields = fields[1:]
		switch strings.ToLower(f.bind) {
		case "", "*":
			f.bind = ""
		case "localhost":
			f.bind = "127.0.0.1"
		default:
			if net.ParseIP(f.bind) == nil {
				return bad("BIND %s is not an IP address (an IPv6 address goes in brackets)", quoteShort(f.bind))
			}
		}
	default:
		return bad("want [BIND:]LOCALPORT:HOST:PORT, got %d fields", len(fields))
	}
	lp, err := strconv.Atoi(fields[0])
	if err != nil || lp < 0 || lp > 65535 {
		return bad("LOCALPORT %s is not 0-65535 (0 picks a free port)", quoteShort(fields[0]))
	}
	f.localPort = lp
	f.host = fields[1]
	if !validForwardHost(f.host) {
		return bad("HOST %s is not a host name or IP address", quoteShort(f.host))
	}
	p, err := strconv.Atoi(fields[2])
	if err != nil || p < 1 || p > 65535 {
		return bad("PORT %s is not 1-65535", quoteShort(fields[2]))
	}
	f.port = p
	return f, nil
}

// splitColons splits on colons outside brackets and strips the brackets
// of a field that is bracketed whole.
func splitColons(s string) ([]string, bool) {
	var fields []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, false
			}
		case ':':
			if depth == 0 {
				fields = append(fields, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, false
	}
	fields = append(fields, s[start:])
	for i, f := range fields {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			fields[i] = f[1 : len(f)-1]
			if net.ParseIP(fields[i]) == nil {
				return nil, false
			}
		} else if strings.ContainsAny(f, "[]") {
			return nil, false
		}
	}
	return fields, true
}

// validForwardHost: an IP address or a DNS name (letters, digits, hyphens,
// underscores and dots, 253 at most); it becomes a document parameter.
func validForwardHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.HasPrefix(h, "-") {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

// isLoopbackBind: only this machine can reach the listener.
func isLoopbackBind(bind string) bool {
	ip := net.ParseIP(bind)
	return ip != nil && ip.IsLoopback()
}

func forwardCommand() *cli.Command {
	return &cli.Command{
		Name:      "forward",
		Usage:     "forward local ports to an instance or to hosts it reaches, through Session Manager (no plugin, no sshd)",
		ArgsUsage: "-L [BIND:]LOCALPORT:HOST:PORT [-L ...] TARGET",
		Description: "HOST localhost, 127.0.0.1 or ::1 is the instance itself (AWS-StartPortForwardingSession);\n" +
			"any other host is reached from the instance (AWS-StartPortForwardingSessionToRemoteHost).\n" +
			"One session per -L; LOCALPORT 0 picks a free port; BIND defaults to 127.0.0.1.\n" +
			"  ssmdoctor forward -L 5432:mydb.abc.eu-west-1.rds.amazonaws.com:5432 i-0abc",
		Flags: append(globalFlags(),
			&cli.StringSliceFlag{Name: "L", Usage: "[BIND:]LOCALPORT:HOST:PORT, as ssh -L (repeatable)"},
			&cli.StringFlag{Name: "document", Usage: "start this Session document instead (it must take portNumber, localPortNumber and, for a remote HOST, host)"},
			&cli.BoolFlag{Name: "no-preflight", Usage: "skip the preflight checks"},
			&cli.StringFlag{Name: "stream-endpoint", Usage: "ssmmessages endpoint for the data channel (PrivateLink)", EnvVars: []string{"SSMDOCTOR_STREAM_ENDPOINT"}},
		),
		Action: runForward,
	}
}

func runForward(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usageErr("ssmdoctor forward -L 5432:db.internal:5432 TARGET", "forward: want one TARGET, got %d arguments", c.NArg())
	}
	target := c.Args().First()
	if err := validateTarget(target); err != nil {
		return err
	}
	raw := c.StringSlice("L")
	if len(raw) == 0 {
		return usageErr(forwardSpecHint, "forward: no -L given")
	}
	specs := make([]forwardSpec, 0, len(raw))
	for _, r := range raw {
		f, err := parseForwardSpec(r)
		if err != nil {
			return err
		}
		specs = append(specs, f)
	}
	custom := c.String("document")
	if custom != "" && !documentRE.MatchString(custom) {
		return usageErr(documentHint, "forward: --document %s is not a document name", quoteShort(custom))
	}
	streamEndpoint, err := streamEndpointFlag(c, "forward")
	if err != nil {
		return err
	}
	stderr, stdout := c.App.ErrWriter, c.App.Writer
	// forward may run for days with many connections: collect garbage
	// before the heap doubles, and harder still near 24 MiB (a soft
	// limit), which keeps the resident size low (docs/benchmarks.md).
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(24 << 20)

	// Listen first: a port in use fails before any AWS call.
	lns := make([]net.Listener, len(specs))
	closeAll := func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}
	for i, f := range specs {
		// An IPv4 BIND listens on IPv4 only (Go would make 0.0.0.0 a
		// dual-stack [::]), an IPv6 one on IPv6 only.
		network := "tcp"
		if ip := net.ParseIP(f.bind); ip != nil && ip.To4() != nil {
			network = "tcp4"
		} else if ip != nil {
			network = "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(f.bind, strconv.Itoa(f.localPort)))
		if err != nil {
			closeAll()
			return internalErr("pick another LOCALPORT (0 picks a free one) or BIND address", fmt.Errorf("forward: listen for -L %s: %w", f.raw, err))
		}
		lns[i] = ln
		if !isLoopbackBind(f.bind) {
			fmt.Fprintf(stderr, "warning: -L %s listens on %s, which is not a loopback address: other machines may connect through it to %s\n", f.raw, ln.Addr(), f.dest())
		}
	}
	defer closeAll()

	setup, cancel := g.bound(c.Context)
	defer cancel()
	d := depsOf(c)
	ao := g.awsOptions(stderr)
	cl, err := loadClients(setup, d, ao)
	if err != nil {
		return err
	}
	cl, env, t, err := targetClients(setup, d, g, cl, target)
	if err != nil {
		return err
	}
	if !c.Bool("no-preflight") {
		docs := map[string]bool{}
		for _, f := range specs {
			doc := f.document(custom)
			if docs[doc] {
				continue
			}
			docs[doc] = true
			opts := checks.Options{Profile: g.profile, Region: g.region, Document: doc, Forward: true}
			if err := forwardPreflight(setup, env, opts, t, stderr); err != nil {
				return err
			}
		}
	}
	logf := func(string, ...any) {}
	if g.verbose {
		logf = func(format string, a ...any) { fmt.Fprintf(stderr, "ssmdoctor forward: "+format+"\n", a...) }
	}
	return forwardAll(c.Context, setup, cl, t.InstanceID, specs, lns, custom, streamEndpoint, ao, stdout, stderr, logf)
}

// forwardPreflight shows checkrun.ForwardPreflight's answer for the
// document forward starts: a failure stops it with check's compact report;
// the agent version's warning (one connection at a time) is shown and
// forwarding goes on.
func forwardPreflight(ctx context.Context, env *awsfacts.AWSEnv, opts checks.Options, t *awsfacts.Target, stderr io.Writer) error {
	outs, failed, warning := checkrun.ForwardPreflight(ctx, env, opts, t)
	if failed {
		report.Compact(stderr, "preflight for "+t.InstanceID+" ("+opts.SessionDocument()+") failed:", outs)
		return &exitError{code: exitProblems, err: fmt.Errorf("cannot forward through %s", t.InstanceID), hint: "run: ssmdoctor check " + t.InstanceID + " --document " + opts.SessionDocument()}
	}
	if warning != "" {
		fmt.Fprintf(stderr, "warning: %s\n", report.Visible(warning))
	}
	return nil
}

// forwardAll opens one session per -L and forwards until ctx ends (Ctrl-C:
// every session is terminated, exit 0) or one of them fails (the others
// are terminated too, exit 1 with its cause).
func forwardAll(ctx, setup context.Context, cl *awsapi.Clients, id string, specs []forwardSpec, lns []net.Listener,
	custom, streamEndpoint string, ao awsapi.Options, stdout, stderr io.Writer, logf func(string, ...any)) error {
	var outMu sync.Mutex
	say := func(w io.Writer, format string, a ...any) {
		outMu.Lock()
		fmt.Fprintf(w, format, a...)
		outMu.Unlock()
	}
	sessions := make([]*tunnel.Session, len(specs))
	defer func() {
		for _, s := range sessions {
			if s != nil {
				if err := s.Close(); err != nil {
					logf("%v", err)
				}
			}
		}
	}()
	for i, f := range specs {
		port := lns[i].Addr().(*net.TCPAddr).Port
		s, err := tunnel.Open(setup, tunnelaws.Sessions{Client: cl.SSM}, tunnel.Options{
			Target:         id,
			Port:           f.port,
			Document:       f.document(custom),
			Parameters:     f.parameters(port),
			KMS:            tunnelaws.DataKeys{Client: cl.KMS},
			StreamEndpoint: streamEndpoint,
			ConnectTimeout: ao.ConnectTimeout,
			Logf:           logf,
		})
		if err != nil {
			return forwardError(f, id, err)
		}
		sessions[i] = s
		logf("session %s open for -L %s (%s)", s.ID(), f.raw, f.document(custom))
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(specs))
	for i, f := range specs {
		s, ln := sessions[i], lns[i]
		go func() {
			err := s.Forward(fctx, ln, tunnel.ForwardOptions{
				Notef: func(format string, a ...any) {
					say(stderr, "note: -L %s: %s\n", f.raw, fmt.Sprintf(format, a...))
				},
				OnReady: func(mode tunnel.ForwardMode, agent string) {
					say(stdout, "forwarding %s -> %s via %s\n", ln.Addr(), f.dest(), id)
					switch mode {
					case tunnel.ForwardBasic:
						say(stderr, "note: -L %s: %s (agent %s; multiplexing needs an agent newer than %s)\n", f.raw, mode, agent, tunnel.MuxAfterAgentVersion)
					case tunnel.ForwardSingle:
						say(stderr, "note: -L %s: %s: document %s does not forward ports (its properties have no type %s); forward ends with that connection\n",
							f.raw, mode, f.document(custom), tunnel.LocalPortForwarding)
					}
					logf("session %s: agent %s, %s", s.ID(), agent, mode)
				},
			})
			results <- result{i, err}
		}()
	}
	var first error
	for range specs {
		r := <-results
		if r.err != nil && first == nil && ctx.Err() == nil {
			first = forwardError(specs[r.i], id, r.err)
			stop() // one failed: stop the others, and terminate every session
		}
		if r.err == nil && first == nil && ctx.Err() == nil {
			stop() // a one-connection session ended: so does forward
		}
	}
	return first
}

// forwardError names the -L that failed and why.
func forwardError(f forwardSpec, id string, err error) error {
	if errors.Is(err, tunnel.ErrSessionEnded) {
		return &exitError{code: exitProblems, err: fmt.Errorf("forward -L %s: %w", f.raw, err),
			hint: "run ssmdoctor forward again; the session preferences' idle timeout ends sessions without traffic"}
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		err = sessionError(id, err)
		errors.As(err, &ee)
	}
	if ee.err != nil {
		ee.err = fmt.Errorf("forward -L %s: %w", f.raw, ee.err)
	}
	return ee
}
