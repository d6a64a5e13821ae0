package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// commit and date are stamped by the release build, with version
// (-ldflags "-X main.version=1.2.3 -X main.commit=... -X main.date=...",
// see .goreleaser.yaml). A build that is not stamped takes them from the
// build information the Go toolchain records (resolveBuild).
var (
	commit string
	date   string
)

// buildInfo is what `ssmdoctor version` prints.
type buildInfo struct {
	Version  string // "1.2.3", a pseudo-version, or "devel"
	Commit   string // "" when unknown
	Date     string // RFC 3339, "" when unknown
	DateKind string // "built" (stamped) or "committed" (from the commit)
	Modified bool   // built from a checkout with uncommitted changes
	Go       string // the Go version that built it
	Platform string // GOOS/GOARCH
}

// build is this binary's, resolved once at start-up; version (main.go) is
// set from it so that --version, `version` and the reports agree.
var build = resolveBuild(version, commit, date, readBuildInfo())

func init() {
	version = build.Version
	// --version prints the same block as the command.
	cli.VersionPrinter = func(c *cli.Context) { _ = build.write(c.App.Writer) }
}

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// pseudoRE matches a Go pseudo-version's tail: -[0.]yyyymmddhhmmss-abcdefabcdef.
var pseudoRE = regexp.MustCompile(`(?:^|[-.])(?:0\.)?(\d{14})-([0-9a-f]{12})(?:\+incompatible)?(?:\+dirty)?$`)

// resolveBuild decides what to print. Values stamped with -ldflags win.
// Otherwise the toolchain's record: `go install module@v1.2.3` records the
// module version (and a pseudo-version carries its commit and time); `go
// build` in a checkout records vcs.revision, vcs.time and vcs.modified.
func resolveBuild(stampedVersion, stampedCommit, stampedDate string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if stampedVersion != "" {
		b.Version = trimV(stampedVersion)
		b.Commit = stampedCommit
		if stampedDate != "" {
			b.Date, b.DateKind = stampedDate, "built"
		}
		if bi != nil && bi.GoVersion != "" {
			b.Go = bi.GoVersion
		}
		return b
	}
	b.Version = "devel"
	if bi == nil {
		return b
	}
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	var vcsTime string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			vcsTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		if strings.HasSuffix(v, "+dirty") {
			b.Modified = true
		}
		b.Version = trimV(strings.TrimSuffix(v, "+dirty"))
		if m := pseudoRE.FindStringSubmatch(v); m != nil {
			if b.Commit == "" {
				b.Commit = m[2]
			}
			if vcsTime == "" {
				if t, err := time.Parse("20060102150405", m[1]); err == nil {
					vcsTime = t.UTC().Format(time.RFC3339)
				}
			}
		}
	}
	if vcsTime != "" {
		b.Date, b.DateKind = vcsTime, "committed"
	}
	return b
}

// trimV drops the tag's "v" from a version: v1.2.3 and 1.2.3 print alike.
func trimV(v string) string {
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// write prints the version block:
//
//	ssmdoctor 1.2.3
//	commit:   0123456789ab
//	built:    2026-01-02T03:04:05Z
//	go:       go1.26.8 linux/amd64
func (b buildInfo) write(w io.Writer) error {
	commit := b.Commit
	if commit == "" {
		commit = "unknown"
	}
	if b.Modified {
		commit += " (modified)"
	}
	dateKey, dateVal := "date:", "unknown"
	if b.Date != "" {
		dateKey, dateVal = b.DateKind+":", b.Date
	}
	_, err := fmt.Fprintf(w, "ssmdoctor %s\ncommit:   %s\n%-9s %s\ngo:       %s %s\n",
		b.Version, commit, dateKey, dateVal, b.Go, b.Platform)
	return err
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version, commit and build date",
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("run 'ssmdoctor version' without arguments", "version: unexpected argument %s", quoteShort(c.Args().First()))
			}
			if err := build.write(c.App.Writer); err != nil {
				return internalErr("", fmt.Errorf("version: %w", err))
			}
			return nil
		},
	}
}
