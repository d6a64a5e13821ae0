package awsfacts

import (
	"slices"
	"testing"
)

func TestAgentVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		v, min string
		want   bool
	}{
		{"3.3.40.0", AgentNoEC2Messages, true},
		{"3.3.100.0", AgentNoEC2Messages, true}, // numeric, not lexical
		{"3.3.39.9", AgentNoEC2Messages, false},
		{"10.0.0.0", AgentMinSSH, true},
		{"2.3.672.0", AgentMinSSH, true},
		{"2.3.68.0", AgentMinSSH, false},
		{"", AgentMinSSH, false},         // unknown: not registered
		{"latest", AgentMinSSH, false},   // unparsable
		{"3.3.x.0", AgentMinDHMC, false}, // unparsable
	} {
		if got := AgentVersionAtLeast(c.v, c.min); got != c.want {
			t.Errorf("AgentVersionAtLeast(%q, %q) = %v, want %v", c.v, c.min, got, c.want)
		}
	}
}

func TestAgentEndpoints(t *testing.T) {
	for v, want := range map[string][]string{
		"":          {"ssm", "ssmmessages", "ec2messages"}, // version unknown
		"3.2.582.0": {"ssm", "ssmmessages", "ec2messages"},
		"3.3.40.0":  {"ssm", "ssmmessages"},
		"3.3.987.0": {"ssm", "ssmmessages"},
	} {
		if got := AgentEndpoints(v); !slices.Equal(got, want) {
			t.Errorf("AgentEndpoints(%q) = %v, want %v", v, got, want)
		}
	}
}
