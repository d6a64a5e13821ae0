package sshconfig

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strings"
)

// Values written into a ProxyCommand are read twice before they reach
// ssmdoctor: ssh expands % tokens in them, then sh splits the line into
// words. Only values neither can misread are written, so no quoting is
// ever needed and a value can never end the line or start another
// directive.

// MaxProfileLen bounds a profile name written into the config.
const MaxProfileLen = 128

var (
	profileRE = regexp.MustCompile(`^[A-Za-z0-9._+@-]+$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// CheckProfile reports why name cannot be written into an ssh config as an
// AWS profile: letters, digits and . _ - + @ only.
func CheckProfile(name string) error {
	if len(name) > MaxProfileLen {
		return fmt.Errorf("profile name is %d characters long, at most %d are written into an ssh config", len(name), MaxProfileLen)
	}
	if !profileRE.MatchString(name) {
		return fmt.Errorf("profile name %s may only hold letters, digits and . _ - + @ (ssh and the shell would misread anything else)", Shorten(name))
	}
	return nil
}

// CheckRegion reports why region is not a region name such as eu-west-1.
func CheckRegion(region string) error {
	if len(region) > 64 || !regionRE.MatchString(region) {
		return fmt.Errorf("region %s is not a region name such as eu-west-1 or us-gov-west-1", Shorten(region))
	}
	return nil
}

// Shorten quotes s for a message, cut to its first 40 characters.
func Shorten(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q (%d characters)", s[:40]+"...", len(s))
	}
	return fmt.Sprintf("%q", s)
}

// EscapePercent doubles every % so that ssh passes it on literally: ssh
// expands %h, %p, %d and the other tokens in ProxyCommand.
func EscapePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// PasswdHome is the home directory of the current user's passwd entry.
// OpenSSH reads ~/.ssh/config there and expands "~" to it: it ignores
// $HOME. A test build names, through the linker (-X ...testHomeVar=NAME),
// an environment variable that replaces the lookup, so tests of the binary
// never touch a real home; release builds leave testHomeVar empty and have
// no such override.
func PasswdHome() (string, error) {
	if testHomeVar != "" {
		if h := os.Getenv(testHomeVar); h != "" {
			return h, nil
		}
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("look up the passwd entry of the current user: %w", err)
	}
	if u.HomeDir == "" {
		return "", errors.New("the passwd entry of the current user has no home directory")
	}
	return u.HomeDir, nil
}

// testHomeVar is set only by test builds; see PasswdHome.
var testHomeVar string
