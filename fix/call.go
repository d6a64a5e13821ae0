package fix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Call is one AWS API call, shown as service, operation and parameters
// (named as in the API reference) before it runs.
type Call struct {
	Service   string // "iam", "ec2", "ssm"
	Operation string // "CreateRole"
	Params    []Param
	// Why is shown after the parameters when the call needs explaining.
	Why string
	Do  func(ctx context.Context) error
}

// Param is one request parameter; JSON documents are shown pretty-printed.
type Param struct {
	Name, Value string
}

func (c *Call) Summary() string {
	var ids []string
	for _, p := range c.Params {
		if !strings.HasPrefix(strings.TrimSpace(p.Value), "{") {
			ids = append(ids, p.Name+"="+p.Value)
		}
	}
	return fmt.Sprintf("%s %s %s", c.Service, c.Operation, strings.Join(ids, " "))
}

func (c *Call) Show(w io.Writer) {
	fmt.Fprintf(w, "%s %s\n", c.Service, c.Operation)
	for _, p := range c.Params {
		v := p.Value
		if strings.HasPrefix(strings.TrimSpace(v), "{") {
			var buf bytes.Buffer
			if json.Indent(&buf, []byte(v), "", "  ") == nil {
				fmt.Fprintf(w, "     %s:\n%s", p.Name, indent(buf.String(), "       "))
				continue
			}
		}
		fmt.Fprintf(w, "     %s: %s\n", p.Name, v)
	}
	if c.Why != "" {
		fmt.Fprintf(w, "     (%s)\n", c.Why)
	}
}

func (c *Call) Apply(ctx context.Context) error {
	if err := c.Do(ctx); err != nil {
		return fmt.Errorf("%s %s: %w", c.Service, c.Operation, err)
	}
	return nil
}

// Wait is a step that polls until a condition holds (an instance profile
// visible to EC2, an instance Online). It changes nothing itself.
type Wait struct {
	What string
	Do   func(ctx context.Context) error
}

func (s *Wait) Summary() string  { return "wait until " + s.What }
func (s *Wait) Show(w io.Writer) { fmt.Fprintf(w, "wait until %s\n", s.What) }
func (s *Wait) Apply(ctx context.Context) error {
	if err := s.Do(ctx); err != nil {
		return fmt.Errorf("wait until %s: %w", s.What, err)
	}
	return nil
}
