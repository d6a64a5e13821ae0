package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ssmdoctor/ssmdoctor/checks"
	"github.com/ssmdoctor/ssmdoctor/internal/tunnelaws"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

const shellUsage = "ssmdoctor shell [--document NAME] [--command CMD] [--no-preflight] TARGET"

// shellCommand opens an interactive shell (a Standard_Stream session)
// natively: no AWS CLI, no plugin.
func shellCommand() *cli.Command {
	return &cli.Command{
		Name:      "shell",
		Usage:     "open a shell on an instance through Session Manager (no plugin, no AWS CLI)",
		ArgsUsage: "TARGET",
		Description: "Starts SSM-SessionManagerRunShell (the account's Session Manager preferences), or with --command\n" +
			"AWS-StartInteractiveCommand running CMD, and joins the terminal to it: raw mode, the terminal's size\n" +
			"at the start and on every resize; Ctrl-C and Ctrl-Z reach the remote program. Piped input is sent as\n" +
			"it is, followed by Ctrl-D (end of file) once it ends.\n" +
			"Exit status: 0 when the session ends normally (the agent does not report an interactive shell's status;\n" +
			"only NonInteractiveCommands documents with separate output streams report one, and then it is ours),\n" +
			"1 when the session could not open or failed, 2 usage, 3 AWS unreachable, 130 interrupted.\n\n" +
			"  ssmdoctor shell i-0123456789abcdef0\n" +
			"  ssmdoctor shell --command 'sudo journalctl -f' web-1\n" +
			"  echo 'uptime; exit' | ssmdoctor shell web-1",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "document", Usage: "session document to start (default SSM-SessionManagerRunShell, or AWS-StartInteractiveCommand with --command)"},
			&cli.StringFlag{Name: "command", Usage: "run `CMD` instead of a shell (the document's parameter \"command\")"},
			&cli.BoolFlag{Name: "no-preflight", Usage: "skip the checks (instance, agent, permission) run before the session"},
			&cli.StringFlag{Name: "stream-endpoint", Usage: "ssmmessages endpoint for the data channel (PrivateLink)", EnvVars: []string{"SSMDOCTOR_STREAM_ENDPOINT"}},
		),
		Action: runShell,
	}
}

// shellDocument is the document and parameters --document and --command
// ask for.
func shellDocument(doc, command string, commandSet bool) (string, map[string][]string, error) {
	if commandSet && (command == "" || strings.ContainsRune(command, 0)) {
		return "", nil, usageErr(shellUsage, "shell: --command needs a command (without NUL bytes)")
	}
	switch {
	case doc == "" && commandSet:
		doc = tunnel.DocumentInteractiveCommand
	case doc == "":
		doc = tunnel.DocumentShell
	case !documentNameRE.MatchString(doc):
		return "", nil, usageErr("a document name is 3-128 letters, digits and _ - . (e.g. AWS-StartInteractiveCommand)",
			"shell: invalid --document %s", quoteShort(doc))
	}
	params := map[string][]string{}
	if commandSet {
		params["command"] = []string{command}
	}
	return doc, params, nil
}

func runShell(c *cli.Context) error {
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usageErr(shellUsage, "shell: want one TARGET, got %d arguments", c.NArg())
	}
	target := c.Args().First()
	if err := validateTarget(target); err != nil {
		return err
	}
	doc, params, err := shellDocument(c.String("document"), c.String("command"), c.IsSet("command"))
	if err != nil {
		return err
	}
	streamEndpoint, err := streamEndpointFlag(c, "shell")
	if err != nil {
		return err
	}
	d := depsOf(c)
	stderr := c.App.ErrWriter
	logf := func(string, ...any) {}
	if g.verbose {
		logf = func(format string, a ...any) { fmt.Fprintf(stderr, "ssmdoctor shell: "+format+"\r\n", a...) }
	}

	// Setup: --timeout bounds the lookup, the preflight and the session's
	// opening; --connect-timeout each call and the data channel's dial.
	setup, cancel := g.bound(c.Context)
	defer cancel()
	ao := g.awsOptions(stderr)
	cl, err := loadClients(setup, d, ao)
	if err != nil {
		return interruptedOr(c, err)
	}
	cl, env, rt, err := targetClients(setup, d, g, cl, target)
	if err != nil {
		return interruptedOr(c, err)
	}
	if !c.Bool("no-preflight") {
		opts := checks.Options{Profile: g.profile, Region: g.region, Document: doc}
		cacheFile := preflightCacheFile(setup, env, opts, rt.InstanceID, d.getenv)
		if _, cached := readPreflightCache(cacheFile); !cached {
			if _, err := sshPreflight(setup, env, opts, rt, cacheFile, stderr); err != nil {
				return interruptedOr(c, err)
			}
		}
	}
	id := rt.InstanceID
	s, err := tunnel.OpenShell(setup, tunnelaws.Sessions{Client: cl.SSM}, tunnel.Options{
		Target:         id,
		Document:       doc,
		Parameters:     params,
		KMS:            tunnelaws.DataKeys{Client: cl.KMS},
		StreamEndpoint: streamEndpoint,
		ConnectTimeout: ao.ConnectTimeout,
		Logf:           logf,
	})
	if err != nil {
		return interruptedOr(c, openError(setup, env, target, id, err))
	}
	defer s.Close()
	logf("session %s open to %s (document %s)", s.ID(), id, doc)

	tty := newShellTerminal(d)
	defer tty.restore()
	// The session ends on SIGTERM, SIGINT (from outside: in raw mode the
	// terminal sends Ctrl-C as a byte) and SIGHUP (the terminal went
	// away); the terminal is restored on the way out.
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGHUP)
	defer stop()
	sio := tunnel.ShellIO{Stdin: c.App.Reader, Stdout: c.App.Writer, Stderr: stderr}
	if sio.Stdin == nil {
		sio.Stdin = os.Stdin
	}
	if tty != nil {
		sizes, stopSizes := tty.sizes()
		defer stopSizes()
		sio.Sizes = sizes
		sio.OnReady = tty.makeRaw
		// In raw mode the terminal sends Ctrl-Z and Ctrl-\ as bytes; the
		// same signals sent by someone else go the same way (as the
		// plugin does), rather than suspend or kill ssmdoctor with the
		// terminal still raw.
		keys, stopKeys := signalKeys()
		defer stopKeys()
		sio.Keys = keys
	} else {
		sio.EndOfInput = []byte{0x04} // VEOF: the remote terminal's end of file
	}
	res, runErr := s.RunShell(ctx, sio)
	tty.restore()
	st := s.Stats()
	logf("session %s ended: %d messages sent, %d resent, %d received, %d reconnects", s.ID(), st.Sent, st.Resent, st.Received, st.Reconnects)
	var stalled *tunnel.SetupTimeoutError
	switch {
	case c.Context.Err() != nil:
		return &exitError{code: exitInterrupted, err: fmt.Errorf("shell on %s interrupted", id)}
	case ctx.Err() != nil:
		return &exitError{code: exitProblems, err: fmt.Errorf("shell on %s: the terminal hung up", id)}
	case errors.As(runErr, &stalled) && stalled.Stage == "shell start":
		return &exitError{code: exitProblems, err: fmt.Errorf("session on %s: %v", id, stalled),
			hint: "a command that prints nothing at first looks like a silent agent: make it print first, or raise --connect-timeout; run: ssmdoctor check " + id}
	case runErr != nil:
		return sessionError(id, runErr)
	case res.HasExitCode && res.ExitCode != 0:
		return codeOnly(res.ExitCode & 0xff)
	}
	return nil
}

// interruptedOr is err, or the interruption that caused it (exit 130).
func interruptedOr(c *cli.Context, err error) error {
	if c.Context.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("shell: interrupted")}
	}
	return err
}

// shellTerminal is stdin as a terminal: raw while the session runs, its
// state restored on every way out.
type shellTerminal struct {
	fd int

	mu       sync.Mutex
	saved    *term.State
	finished bool // restore ran: makeRaw must not take the terminal again
}

// newShellTerminal is nil unless stdin is a terminal (the seam decides).
func newShellTerminal(d *deps) *shellTerminal {
	f, ok := d.stdin.(*os.File)
	if !d.stdinTerminal || !ok {
		return nil
	}
	return &shellTerminal{fd: int(f.Fd())}
}

// makeRaw puts the terminal in raw mode: no echo, no line editing, and
// Ctrl-C, Ctrl-Z and Ctrl-\ arrive as bytes for the remote terminal.
func (t *shellTerminal) makeRaw() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.finished || t.saved != nil {
		return
	}
	if st, err := term.MakeRaw(t.fd); err == nil {
		t.saved = st
	}
}

// restore puts the terminal back as it was; safe to call more than once
// and on a nil terminal.
func (t *shellTerminal) restore() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished = true
	if t.saved != nil {
		term.Restore(t.fd, t.saved)
		t.saved = nil
	}
}

// sizes reports the terminal's size now and after every SIGWINCH.
func (t *shellTerminal) sizes() (<-chan tunnel.TermSize, func()) {
	out := make(chan tunnel.TermSize, 1)
	winch := make(chan os.Signal, 1)
	var poll <-chan time.Time
	stopPoll := func() {}
	if len(resizeSignals) > 0 {
		signal.Notify(winch, resizeSignals...)
	} else {
		// No resize signal (Windows): look every 500 ms, as the plugin does.
		tk := time.NewTicker(500 * time.Millisecond)
		poll, stopPoll = tk.C, tk.Stop
	}
	done := make(chan struct{})
	current := func() (tunnel.TermSize, bool) {
		w, h, err := term.GetSize(t.fd)
		if err != nil || w <= 0 || h <= 0 {
			return tunnel.TermSize{}, false
		}
		return tunnel.TermSize{Cols: uint32(w), Rows: uint32(h)}, true
	}
	put := func(sz tunnel.TermSize) {
		// Only the newest size matters: replace one not yet taken.
		select {
		case <-out:
		default:
		}
		out <- sz
	}
	if sz, ok := current(); ok {
		put(sz)
	}
	go func() {
		for {
			select {
			case <-winch:
				if sz, ok := current(); ok {
					put(sz)
				}
			case <-poll:
				if sz, ok := current(); ok {
					put(sz) // the tunnel sends only a size that changed
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(winch)
		stopPoll()
		close(done)
	}
}

// signalKeys turns SIGTSTP and SIGQUIT into the bytes a terminal sends
// for them (Ctrl-Z, Ctrl-\).
func signalKeys() (<-chan []byte, func()) {
	sigs := make(chan os.Signal, 4)
	for sig := range forwardedSignals {
		signal.Notify(sigs, sig)
	}
	out := make(chan []byte, 4)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				select {
				case out <- []byte{forwardedSignals[sig]}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(sigs)
		close(done)
	}
}
