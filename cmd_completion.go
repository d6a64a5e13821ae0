package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/internal/awsfacts"
	"github.com/ssmdoctor/ssmdoctor/internal/report"
)

// Shell completion. Each script is a thin shell function that hands the
// words typed so far to `ssmdoctor completion __complete` and offers what
// it prints, so the commands, flags and values come from the one place
// that defines them. The protocol (not a public interface):
//
//	ssmdoctor completion __complete WORD... =CURRENT
//
// WORDs are the words after the program name before the one being
// completed; the last argument is that word behind a "=" (never empty:
// PowerShell drops empty arguments). Each output line is a candidate, a
// tab and its description. No output means "complete file names".

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh, fish or powershell",
		ArgsUsage: "bash|zsh|fish|powershell",
		Description: "Load it in the current shell, or install it:\n\n" +
			"  bash:        source <(ssmdoctor completion bash)          # in ~/.bashrc\n" +
			"  zsh:         source <(ssmdoctor completion zsh)           # in ~/.zshrc, after compinit\n" +
			"  fish:        ssmdoctor completion fish > ~/.config/fish/completions/ssmdoctor.fish\n" +
			"  powershell:  ssmdoctor completion powershell | Out-String | Invoke-Expression   # in $PROFILE\n\n" +
			"Commands, flags and flag values complete everywhere; instance ids and Name tags complete\n" +
			"from a list kept 5 minutes in the user's cache directory, read from AWS (at most 2 seconds)\n" +
			"when it is older.",
		Subcommands: []*cli.Command{{
			Name: "__complete", Hidden: true, SkipFlagParsing: true,
			Action: func(c *cli.Context) error {
				args := c.Args().Slice()
				if len(args) == 0 || !strings.HasPrefix(args[len(args)-1], "=") {
					return usageErr("the shell scripts call this; run 'ssmdoctor completion --help'", "completion: __complete needs the current word last, behind =")
				}
				cur := strings.TrimPrefix(args[len(args)-1], "=")
				d := depsOf(c)
				comp := completer{app: c.App, targets: func(profile, region string) []candidate {
					return cachedTargets(c.Context, d, profile, region)
				}}
				for _, cand := range comp.complete(args[:len(args)-1], cur) {
					fmt.Fprintf(c.App.Writer, "%s\t%s\n", cand.value, cand.desc)
				}
				return nil
			},
		}},
		Action: func(c *cli.Context) error {
			shell := c.Args().First()
			if c.NArg() != 1 || !slices.Contains(completionShells, shell) {
				got := "no shell"
				if c.NArg() > 0 {
					got = quoteShort(shell)
				}
				if c.NArg() > 1 {
					got = fmt.Sprintf("%d arguments", c.NArg())
				}
				return usageErr("name one of: "+strings.Join(completionShells, ", "), "completion: want one shell, got %s", got)
			}
			if _, err := io.WriteString(c.App.Writer, completionScripts[shell]); err != nil {
				return internalErr("", fmt.Errorf("completion: %w", err))
			}
			return nil
		},
	}
}

type candidate struct{ value, desc string }

// completer answers one completion request.
type completer struct {
	app     *cli.App
	targets func(profile, region string) []candidate // instance ids and names, "" when unknown
}

// targetCommands take instance targets as arguments.
var targetCommands = []string{"check", "fix", "wait", "ssh", "scp", "proxy", "access", "sessions", "forward", "shell"}

// flagValues are the values a flag takes, where they are few and known.
func (cp completer) flagValues(cmd, flag string) ([]candidate, bool) {
	list := func(vs ...string) []candidate {
		var out []candidate
		for _, v := range vs {
			out = append(out, candidate{value: v})
		}
		return out
	}
	switch flag {
	case "format":
		switch cmd {
		case "demo":
			return list("human", "json", "junit", "github"), true
		case "access":
			return list(report.Formats(report.KindAccess)...), true
		case "sessions":
			return list(report.Formats(report.KindSessions)...), true
		}
		return list(report.Formats(report.KindCheck)...), true
	case "for":
		return list(waitGoals...), true
	case "via":
		return list("native", "aws-cli"), true
	case "profile":
		_, profiles := awsapi.SharedConfigProfiles()
		return list(profiles...), true
	case "instance-role", "vpc-endpoints", "start":
		return nil, false // a target: handled by the caller
	}
	return nil, true // a value of its own (a file, a duration, a name): nothing to offer
}

func (cp completer) complete(words []string, cur string) []candidate {
	// The command is the first word that is neither a global flag nor
	// its value.
	var cmd *cli.Command
	rest := words
	for i := 0; i < len(words); i++ {
		w := words[i]
		if isFlagToken(w) {
			if takesValue(cp.app.Flags, w) {
				i++
			}
			continue
		}
		cmd = cp.app.Command(w)
		if cmd == nil {
			return nil // not a command: nothing sensible to offer
		}
		rest = words[i+1:]
		break
	}
	profile, region := typedFlag(words, "profile"), typedFlag(words, "region")
	if cmd == nil {
		if len(words) > 0 && takesValue(cp.app.Flags, words[len(words)-1]) {
			vals, _ := cp.flagValues("", flagName(words[len(words)-1]))
			return withPrefix(vals, cur)
		}
		if strings.HasPrefix(cur, "-") {
			return withPrefix(flagCandidates(cp.app.Flags), cur)
		}
		var out []candidate
		for _, c := range cp.app.Commands {
			if !c.Hidden {
				out = append(out, candidate{c.Name, c.Usage})
			}
		}
		return withPrefix(out, cur)
	}
	flags := cmd.Flags
	if cmd.Name == "ssh" || cmd.Name == "scp" {
		flags = sshOwnFlags()
	}
	// --flag=value
	if name, val, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "--") {
		vals, isList := cp.flagValues(cmd.Name, flagName(name))
		if !isList {
			vals = cp.targets(profile, region)
		}
		var out []candidate
		for _, c := range withPrefix(vals, val) {
			out = append(out, candidate{name + "=" + c.value, c.desc})
		}
		return out
	}
	if len(rest) > 0 && takesValue(flags, rest[len(rest)-1]) {
		vals, isList := cp.flagValues(cmd.Name, flagName(rest[len(rest)-1]))
		if !isList {
			vals = cp.targets(profile, region)
		}
		return withPrefix(vals, cur)
	}
	if strings.HasPrefix(cur, "-") {
		return withPrefix(flagCandidates(flags), cur)
	}
	switch {
	case cmd.Name == "completion":
		var out []candidate
		if len(rest) == 0 {
			for _, s := range completionShells {
				out = append(out, candidate{value: s})
			}
		}
		return withPrefix(out, cur)
	case slices.Contains(targetCommands, cmd.Name):
		// ssh and scp take user@TARGET: complete what follows the @.
		user, host, hasUser := strings.Cut(cur, "@")
		if !hasUser || (cmd.Name != "ssh" && cmd.Name != "scp") {
			user, host = "", cur
		}
		var out []candidate
		for _, c := range withPrefix(cp.targets(profile, region), host) {
			if hasUser && user != "" {
				c.value = user + "@" + c.value
			}
			out = append(out, c)
		}
		return out
	}
	return nil
}

// typedFlag is the value of --name typed among words ("" when absent).
func typedFlag(words []string, name string) string {
	v := ""
	for i, w := range words {
		switch {
		case w == "--"+name && i+1 < len(words):
			v = words[i+1]
		case strings.HasPrefix(w, "--"+name+"="):
			v = strings.TrimPrefix(w, "--"+name+"=")
		}
	}
	return v
}

func flagName(tok string) string {
	n := strings.TrimLeft(tok, "-")
	n, _, _ = strings.Cut(n, "=")
	return n
}

func flagCandidates(flags []cli.Flag) []candidate {
	var out []candidate
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		usage := ""
		if df, ok := f.(cli.DocGenerationFlag); ok {
			usage = df.GetUsage()
		}
		for _, n := range f.Names() {
			if len(n) > 1 {
				out = append(out, candidate{"--" + n, usage})
			}
		}
	}
	return append(out, candidate{"--help", "show help"})
}

var ownOptionRE = regexp.MustCompile(`(?m)^  --([a-z-]+)( [A-Z]+)?\s+(.*)$`)

// sshOwnFlags are ssh's and scp's own options, as their help lists them
// (urfave/cli does not parse those commands).
func sshOwnFlags() []cli.Flag {
	var out []cli.Flag
	for _, m := range ownOptionRE.FindAllStringSubmatch(ourOptionsHelp, -1) {
		if m[2] != "" { // "--profile P": takes a value
			out = append(out, &cli.StringFlag{Name: m[1], Usage: m[3]})
		} else {
			out = append(out, &cli.BoolFlag{Name: m[1], Usage: m[3]})
		}
	}
	return out
}

// withPrefix keeps the candidates that start with prefix, in order, once.
func withPrefix(cs []candidate, prefix string) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, c := range cs {
		if strings.HasPrefix(c.value, prefix) && !seen[c.value] {
			seen[c.value] = true
			out = append(out, c)
		}
	}
	return out
}

// The instance list for completion: ids and Name tags of the region's live
// instances and hybrid nodes, remembered for completionTTL.
const (
	completionTTL     = 5 * time.Minute
	completionRefresh = 2 * time.Second // a TAB waits no longer for AWS
)

type targetCache struct {
	Scope   string      `json:"scope"` // a hash of who asked where
	At      time.Time   `json:"at"`
	Targets [][2]string `json:"targets"` // id, name
}

func targetCachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "ssmdoctor", "completion.json")
}

// cachedTargets returns the instance candidates, from the cache when it is
// fresh and for the same profile, credentials, endpoint and region, else
// from AWS within completionRefresh. Any failure offers nothing.
func cachedTargets(ctx context.Context, d *deps, profile, region string) []candidate {
	path := targetCachePath()
	if profile == "" {
		profile = d.getenv("AWS_PROFILE")
	}
	if region == "" {
		region = firstNonEmpty(d.getenv("AWS_REGION"), d.getenv("AWS_DEFAULT_REGION"))
	}
	h := sha256.Sum256([]byte(strings.Join([]string{profile, region, d.getenv("AWS_ACCESS_KEY_ID"), d.getenv("AWS_ENDPOINT_URL")}, "|")))
	scope := hex.EncodeToString(h[:12])
	var tc targetCache
	if path != "" {
		if b, err := os.ReadFile(path); err == nil && len(b) < 4<<20 {
			_ = json.Unmarshal(b, &tc)
		}
	}
	age := time.Since(tc.At)
	if tc.Scope != scope || age < 0 || age > completionTTL {
		fresh, ok := listTargets(ctx, d, profile, region)
		if !ok {
			return nil
		}
		tc = targetCache{Scope: scope, At: time.Now(), Targets: fresh}
		writeTargetCache(path, tc)
	}
	var ids, names []candidate
	for _, t := range tc.Targets {
		// Whatever reaches the command line must be a valid target: a
		// Name tag with shell characters is never offered.
		// Nor is it shown as a description (a tab or an escape sequence
		// would reach the terminal).
		id, name := t[0], t[1]
		if awsfacts.ValidateTarget(name) != nil || awsfacts.IsInstanceID(name) {
			name = ""
		}
		if !awsfacts.IsInstanceID(id) {
			continue
		}
		ids = append(ids, candidate{id, name})
		if name != "" {
			names = append(names, candidate{name, id})
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i].value < names[j].value })
	return append(names, ids...)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func listTargets(ctx context.Context, d *deps, profile, region string) ([][2]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, completionRefresh)
	defer cancel()
	if validateProfile(profile) != nil || validateRegion(region) != nil {
		return nil, false
	}
	clients, err := d.loadAWS(ctx, awsapi.Options{Profile: profile, Region: region, ConnectTimeout: time.Second, MaxAttempts: 1})
	if err != nil {
		return nil, false
	}
	ts, err := awsfacts.ResolveTargets(ctx, awsfacts.NewAWSEnv(clients), nil, nil, true)
	if err != nil {
		return nil, false
	}
	out := make([][2]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, [2]string{t.InstanceID, t.Name})
	}
	return out, true
}

func writeTargetCache(path string, tc targetCache) {
	if path == "" {
		return
	}
	b, err := json.Marshal(tc)
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".completion-*.json")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
	}
}

// The scripts. Each calls the ssmdoctor found on PATH.
var completionScripts = map[string]string{
	"bash": `# bash completion for ssmdoctor: source <(ssmdoctor completion bash)
_ssmdoctor_complete() {
    # Words as typed up to the cursor, split on blanks only: bash's own
    # COMP_WORDS also splits at = and :, which flags and IPv6 targets hold.
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<<"$line"
    local cur=""
    if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    words=("${words[@]:1}")
    # bash replaces only its own current word (what follows the last = or
    # :), so that much of each candidate is offered.
    local bashcur=${COMP_WORDS[COMP_CWORD]}
    local strip=""
    if [[ $cur == *"$bashcur" ]]; then strip=${cur%"$bashcur"}; fi
    COMPREPLY=()
    local cand
    while IFS= read -r cand; do
        cand=${cand%%$'\t'*}
        COMPREPLY+=("${cand#"$strip"}")
    done < <(command ssmdoctor completion __complete "${words[@]}" "=$cur" 2>/dev/null)
}
complete -o default -F _ssmdoctor_complete ssmdoctor
`,
	"zsh": `#compdef ssmdoctor
# zsh completion for ssmdoctor: source <(ssmdoctor completion zsh) after
# compinit, or save as _ssmdoctor in a directory of $fpath.
_ssmdoctor() {
    local -a lines cands
    local line
    lines=("${(@f)$(command ssmdoctor completion __complete "${(@)words[2,CURRENT-1]}" "=${words[CURRENT]}" 2>/dev/null)}")
    for line in "${lines[@]}"; do
        [[ -n $line ]] || continue
        cands+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
    done
    if (( ${#cands} )); then
        _describe -t values ssmdoctor cands
    else
        _files
    fi
}
if [[ ${funcstack[1]-} == _ssmdoctor ]]; then
    _ssmdoctor "$@"
elif (( $+functions[compdef] )); then
    compdef _ssmdoctor ssmdoctor
fi
`,
	"fish": `# fish completion for ssmdoctor:
#   ssmdoctor completion fish > ~/.config/fish/completions/ssmdoctor.fish
function __ssmdoctor_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l out (command ssmdoctor completion __complete $words "="(commandline -ct) 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out
    end
end
complete -c ssmdoctor -f -a '(__ssmdoctor_complete)'
`,
	"powershell": `# PowerShell completion for ssmdoctor:
#   ssmdoctor completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName ssmdoctor, ssmdoctor.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        ForEach-Object { $_.ToString() })
    if ($words.Count -gt 1) { $words = @($words[1..($words.Count - 1)]) } else { $words = @() }
    $lines = @(& ssmdoctor completion __complete @words "=$wordToComplete" 2>$null)
    foreach ($line in $lines) {
        if (-not $line) { continue }
        $parts = $line -split "` + "`" + `t", 2
        $tip = $parts[0]
        if ($parts.Count -gt 1 -and $parts[1]) { $tip = $parts[1] }
        [System.Management.Automation.CompletionResult]::new($parts[0], $parts[0], 'ParameterValue', $tip)
    }
}
`,
}
