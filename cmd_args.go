package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersedCommands may take their flags among their targets. urfave/cli
// v2 stops reading flags at the first positional argument, yet users type
// `ssmdoctor check i-0abc --format json`; for these commands the flags are
// moved ahead of the targets before the library sees them (wait too). ssh, scp and
// proxy are left alone: what follows their target belongs to ssh.
var interspersedCommands = []string{"check", "fix", "access", "sessions", "forward", "wait"}

// flagsFirst returns args with the flags of a check or fix command moved
// ahead of its positional arguments, each flag keeping its value and the
// relative order of both kept. "--" still ends the flags: what follows it
// stays positional, after a "--" of its own.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	// Skip the program name and any global flags before the command.
	i := 1
	for i < len(args) && isFlagToken(args[i]) {
		if args[i] == "--" {
			return args
		}
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) || !slices.Contains(interspersedCommands, args[i]) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	var flags, positional, afterDash []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			afterDash = rest[j+1:]
			j = len(rest)
		case isFlagToken(a):
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			positional = append(positional, a)
		}
	}
	out := append(slices.Clone(args[:i+1]), flags...)
	if afterDash != nil {
		// Everything positional goes after the "--", so that a target
		// that follows it is never read as a flag.
		out = append(out, "--")
	}
	out = append(out, positional...)
	return append(out, afterDash...)
}

func isFlagToken(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether the flag token a names a flag that reads the
// next argument as its value ("--format json", not "--format=json").
// Unknown flags are taken as booleans: the parser then reports them.
func takesValue(flags []cli.Flag, a string) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		if !slices.Contains(f.Names(), name) {
			continue
		}
		if v, ok := f.(cli.DocGenerationFlag); ok {
			return v.TakesValue()
		}
		return false
	}
	return false
}
