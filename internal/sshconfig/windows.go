package sshconfig

import (
	"fmt"
	"regexp"
	"strings"
)

// Windows OpenSSH (Win32-OpenSSH, the ssh.exe that ships with Windows) runs
// a ProxyCommand without a shell: after expanding its % tokens it hands
// the line to CreateProcessW as the command line. Two rules follow:
//
//   - The program must be an absolute path (a bare name is looked for next
//     to ssh.exe, not on PATH), and a line that starts with a double quote
//     is passed on as written, so the program is always written quoted:
//     "C:\Program Files\ssmdoctor\ssmdoctor.exe". Inside those quotes
//     backslashes are literal and a double quote cannot appear (Windows
//     forbids it in file names).
//   - The program splits the rest into arguments by the rules of
//     CommandLineToArgvW (the Microsoft C runtime's, Go's own): blanks
//     separate, double quotes group, and backslashes are literal unless
//     they precede a double quote.
//
// ssh's % expansion comes first, so a literal % is written %%. The
// configuration line itself is taken verbatim from the first
// non-blank character after the keyword to the end of the line.

var (
	windowsDriveAbs = regexp.MustCompile(`^[A-Za-z]:[\\/]`)
	windowsUNC      = regexp.MustCompile(`^[\\/]{2}[^\\/]+[\\/][^\\/]+`)
)

// IsWindowsAbs reports whether p is an absolute Windows path: a drive
// letter and a separator (C:\, C:/), or a UNC path (\\server\share).
func IsWindowsAbs(p string) bool { return windowsDriveAbs.MatchString(p) || windowsUNC.MatchString(p) }

// WindowsProgram writes an absolute Windows path as the program of a
// ProxyCommand line: quoted, with % doubled for ssh.
func WindowsProgram(path string) (string, error) {
	switch {
	case !IsWindowsAbs(path):
		return "", fmt.Errorf("the program path must be absolute (C:\\… or \\\\server\\share\\…) for Windows OpenSSH, got %s", Shorten(path))
	case strings.ContainsAny(path, "\"\r\n\x00"):
		return "", fmt.Errorf("the program path %s holds a double quote or a line break, which no Windows path can", Shorten(path))
	}
	return EscapePercent(`"` + path + `"`), nil
}

// WindowsArg writes one argument so that CommandLineToArgvW reads it back
// unchanged: as it is when it has no blank, tab or double quote (and is
// not empty), otherwise in double quotes, with each double quote and the
// backslashes before it escaped, and the backslashes before the closing
// quote doubled. % is doubled for ssh. Line breaks and NUL are refused:
// they would end the configuration line.
func WindowsArg(s string) (string, error) {
	q, err := windowsQuote(s)
	return EscapePercent(q), err
}

func windowsQuote(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("argument %s holds a line break or NUL", Shorten(s))
	}
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s, nil
	}
	var b strings.Builder
	b.WriteByte('"')
	backslashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			backslashes++
			continue
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*backslashes+1))
		default:
			b.WriteString(strings.Repeat(`\`, backslashes))
		}
		backslashes = 0
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, 2*backslashes))
	b.WriteByte('"')
	return b.String(), nil
}

// sshTokenRE is what WindowsCommandLine leaves for ssh to expand.
var sshTokenRE = regexp.MustCompile(`%[hpr]`)

// WindowsCommandLine is a ProxyCommand for Windows OpenSSH: program, an
// absolute path, then args, each quoted as needed. ssh's tokens %h, %p
// and %r in args stay for ssh to expand (portNumber=%p); every other % is
// doubled. The arguments are ssmdoctor's own words and validated values,
// in which no literal %h can occur.
func WindowsCommandLine(program string, args ...string) (string, error) {
	line, err := WindowsProgram(program)
	if err != nil {
		return "", err
	}
	for _, a := range args {
		q, err := windowsQuote(a)
		if err != nil {
			return "", err
		}
		parts := sshTokenRE.Split(q, -1)
		tokens := sshTokenRE.FindAllString(q, -1)
		for i := range parts {
			parts[i] = EscapePercent(parts[i])
		}
		out := parts[0]
		for i, t := range tokens {
			out += t + parts[i+1]
		}
		line += " " + out
	}
	return line, nil
}

// SplitWindowsCommandLine reads a command line the way a Windows program
// gets its arguments (the program by the CreateProcess rule, the rest by
// CommandLineToArgvW's), after ssh's % expansion has turned %% into %. It
// is what the tests hold WindowsCommandLine to.
func SplitWindowsCommandLine(line string) []string {
	var args []string
	i := 0
	// The program: up to the closing quote when quoted, else the first
	// blank; no escapes.
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return []string{line[1:]}
		}
		args = append(args, line[1:1+end])
		i = end + 2
	} else {
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			return []string{line}
		}
		args = append(args, line[:end])
		i = end
	}
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return args
		}
		var b strings.Builder
		inQuotes := false
		for ; i < len(line); i++ {
			c := line[i]
			if c == '\\' {
				n := 0
				for i < len(line) && line[i] == '\\' {
					n++
					i++
				}
				if i < len(line) && line[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteByte('"')
						continue
					}
				} else {
					b.WriteString(strings.Repeat(`\`, n))
				}
				i--
				continue
			}
			if c == '"' {
				if inQuotes && i+1 < len(line) && line[i+1] == '"' {
					b.WriteByte('"') // "" inside quotes is one quote
					i++
					continue
				}
				inQuotes = !inQuotes
				continue
			}
			if !inQuotes && (c == ' ' || c == '\t') {
				break
			}
			b.WriteByte(c)
		}
		args = append(args, b.String())
	}
}
