package main

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExitCodeTableNamesEveryCommand: the README's exit-code table
// has a column for every command, and every command's flags are named
// somewhere in the README.
func TestReadmeExitCodeTableNamesEveryCommand(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var header string
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, "| code |") {
			header = l
			break
		}
	}
	if header == "" {
		t.Fatal("README has no exit-code table (a row starting \"| code |\")")
	}
	inTable := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z]+)`").FindAllStringSubmatch(header, -1) {
		inTable[m[1]] = true
	}
	app := newApp(systemDeps(nil, io.Discard, io.Discard))
	for _, c := range app.Commands {
		if c.Hidden || c.Name == "help" {
			continue
		}
		if !inTable[c.Name] {
			t.Errorf("the exit-code table has no column for %s: %s", c.Name, header)
		}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if v, ok := f.(interface{ IsVisible() bool }); len(n) < 2 || ok && !v.IsVisible() {
					continue
				}
				if !strings.Contains(readme, "--"+n) {
					t.Errorf("README never names %s --%s", c.Name, n)
				}
			}
		}
	}
}
