package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awssim"
)

// simUsage is sim's synopsis, for its usage errors.
const simUsage = "ssmdoctor sim [--scenario FILE] [--listen ADDR] [--as USER] [--env-file FILE] [--no-pacing]"

// simStarted, when set (tests), sees the simulator once it serves.
var simStarted func(*awssim.Sim)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:  "sim",
		Usage: "run the simulated AWS account on loopback and write the environment that points SDKs and the AWS CLI at it",
		Description: "Serves EC2, IAM, STS, SSM (with the Session Manager data channel), EC2 Instance Connect and KMS\n" +
			"on one loopback port until interrupted. The credentials it writes are the simulator's own.\n" +
			"With --env-file the exports appear in FILE (mode 0600) all at once, only when the simulator\n" +
			"answers, and FILE is removed when it stops; without it they go to stdout. Wait for the file\n" +
			"before sourcing it: until then this shell still points at real AWS.\n\n" +
			"  rm -f sim.env; ssmdoctor sim --env-file sim.env &\n" +
			"  until [ -s sim.env ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done\n" +
			"  . ./sim.env                    # no such file? the simulator did not start: stop here\n" +
			"  aws ec2 describe-instances     # the AWS CLI (or any SDK) now talks to the simulator",
		ArgsUsage: " ",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "scenario", Usage: "scenario file (JSON, at most 16 MiB); default: the built-in demo scenario"},
			&cli.StringFlag{Name: "listen", Usage: "address to listen on", Value: "127.0.0.1:0"},
			&cli.StringFlag{Name: "as", Usage: "IAM user whose access key the environment uses", Value: "demo-admin"},
			&cli.StringFlag{Name: "env-file", Usage: "write the exports to `FILE` (atomically, mode 0600, once serving) instead of stdout"},
			&cli.BoolFlag{Name: "no-pacing", Usage: "send the agent side's output as fast as the client acks, not 1 KiB per millisecond like the real agent"},
		),
		Action: runSim,
	}
}

func runSim(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr(simUsage, "sim takes no arguments (got %s)", quoteShort(c.Args().First()))
	}
	envFile := c.String("env-file")
	if c.IsSet("env-file") && envFile == "" {
		return usageErr(simUsage, "sim: --env-file needs a file name")
	}
	if envFile != "" {
		// Only a regular file is replaced: renaming over a symlink such as
		// /dev/stdout, a device or a directory would destroy it.
		if fi, err := os.Lstat(envFile); err == nil && !fi.Mode().IsRegular() {
			return usageErr("give --env-file the path of a regular file (it is replaced whole), or leave it out to print the environment",
				"sim: --env-file %s exists and is not a regular file (%s)", envFile, fileKind(fi.Mode()))
		}
	}
	st := awssim.DemoScenario()
	if p := c.String("scenario"); p != "" {
		var err error
		if st, err = awssim.LoadScenario(p); err != nil {
			return usageErr("check the file against internal/awssim/testdata/demo.json", "%v", err)
		}
	}
	g, err := readGlobals(c)
	if err != nil {
		return err
	}
	opts := awssim.Options{}
	if g.verbose {
		var mu sync.Mutex
		stderr := c.App.ErrWriter
		opts.Logf = func(format string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "ssmdoctor sim: "+format+"\n", a...)
		}
		opts.LogRequests = true
	}
	sim, err := awssim.New(st, opts)
	if err != nil {
		return usageErr("check the scenario file", "%v", err)
	}
	if c.Bool("no-pacing") {
		sim.SetDataChannelOptions(awssim.DCOptions{PerMessageDelay: 0})
	}
	if err := sim.Start(c.String("listen")); err != nil {
		return internalErr("choose another --listen address", err)
	}
	defer sim.Close()
	env, err := simEnvironment(sim, c.String("as"))
	if err != nil {
		return usageErr("pass --as with a user that has an access key in the scenario", "%v", err)
	}
	if envFile != "" {
		// The listener is bound and serving: whoever sees the file can use
		// it at once.
		written, err := writeEnvFile(envFile, env)
		if err != nil {
			return internalErr("choose a writable path for --env-file", err)
		}
		defer func() {
			// Only if it is still ours: another simulator may have
			// replaced it since.
			if now, err := os.ReadFile(envFile); err == nil && string(now) == written {
				os.Remove(envFile)
			}
		}()
		fmt.Fprintf(c.App.ErrWriter, "simulator listening on %s; its environment is in %s (Ctrl-C to stop)\n", sim.URL(), envFile)
	} else {
		writeExports(c.App.Writer, env)
		fmt.Fprintf(c.App.ErrWriter, "simulator listening on %s (Ctrl-C to stop)\n", sim.URL())
	}
	if simStarted != nil {
		simStarted(sim)
	}
	<-c.Context.Done()
	fmt.Fprintln(c.App.ErrWriter, "simulator stopped")
	return nil
}

// writeEnvFile writes the exports to path all at once: a temporary file in
// the same directory (created 0600: it holds the simulator's keys), synced,
// then renamed over path, so that a reader sees nothing or all of it.
// It returns what it wrote.
func writeEnvFile(path string, env [][2]string) (string, error) {
	var b strings.Builder
	writeExports(&b, env)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("sim: write --env-file %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.WriteString(b.String())
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("sim: write --env-file %s: %w", path, err)
	}
	return b.String(), nil
}

// simEnvironment is the environment that points the SDKs and the AWS CLI
// at sim with the access key of user.
func simEnvironment(sim *awssim.Sim, user string) ([][2]string, error) {
	var keyID, secret, region string
	var users []string
	sim.WithState(func(st *awssim.State) {
		region = st.DefaultRegion
		for _, id := range slices.Sorted(maps.Keys(st.AccessKeys)) {
			k := st.AccessKeys[id]
			if k.UserName == "" || k.SessionToken != "" {
				continue
			}
			users = append(users, k.UserName)
			if k.UserName == user && keyID == "" {
				keyID, secret = k.ID, k.Secret
			}
		}
	})
	if keyID == "" {
		return nil, fmt.Errorf("no access key for user %q in the scenario (users with keys: %s)", user, strings.Join(users, ", "))
	}
	url := sim.URL()
	env := [][2]string{
		{"AWS_ENDPOINT_URL", url},
		{"AWS_ACCESS_KEY_ID", keyID},
		{"AWS_SECRET_ACCESS_KEY", secret},
		{"AWS_REGION", region},
		{"AWS_DEFAULT_REGION", region},
		{"AWS_EC2_METADATA_DISABLED", "true"},
	}
	for _, svc := range []string{"EC2", "IAM", "STS", "SSM", "EC2_INSTANCE_CONNECT", "KMS"} {
		env = append(env, [2]string{"AWS_ENDPOINT_URL_" + svc, url})
	}
	return env, nil
}

// writeExports writes one export a line, each value quoted for the shell
// when it holds anything but plain characters: a scenario's region or
// keys are anyone's text, and the file is sourced (shellQuote: ssh_args.go).
func writeExports(w io.Writer, env [][2]string) {
	for _, kv := range env {
		fmt.Fprintf(w, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
