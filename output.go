package main

import (
	"fmt"
	"io"
	"os"
)

// writeOutput gives write stdout, or the --output FILE at path (created,
// truncated, and closed with its error reported: a full disk is not a
// silent half report). Colour is for a terminal stdout only, never a file.
func writeOutput(d *deps, path string, noColor bool, write func(w io.Writer, color bool) error) error {
	if path == "" {
		return write(d.stdout, d.useColor(noColor))
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("open --output file: %w", err)
	}
	if err := write(f, false); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close --output file: %w", err)
	}
	return nil
}
