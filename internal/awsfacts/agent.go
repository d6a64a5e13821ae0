package awsfacts

import (
	"sync"
	"sync/atomic"

	version "github.com/hashicorp/go-version"
)

// Agent versions that change what works
// (docs/check-catalogue.md#instance-agent-version).
const (
	AgentMinSSH            = "2.3.672.0" // AWS-StartSSHSession
	AgentMuxPortForwarding = "3.0.196.0" // multiplexed port forwarding
	AgentMinDHMC           = "3.2.582.0" // Default Host Management Configuration
	AgentNoEC2Messages     = "3.3.40.0"  // stops needing ec2messages once ssmmessages connects
)

// AgentEndpoints are the services an agent of version v connects out to
// on 443. An unknown version ("": not registered yet) may still need
// ec2messages.
func AgentEndpoints(v string) []string {
	needed := []string{"ssm", "ssmmessages"}
	if !AgentVersionAtLeast(v, AgentNoEC2Messages) {
		needed = append(needed, "ec2messages")
	}
	return needed
}

// AgentVersionAtLeast compares agent versions; unknown or unparsable
// versions never pass.
func AgentVersionAtLeast(v, min string) bool {
	a := parsedVersion(v)
	if a == nil {
		return false
	}
	return a.GreaterThanOrEqual(parsedVersion(min))
}

// parsedVersions keeps each agent version parsed once: a fleet has few
// distinct versions and asks about each of them thousands of times.
var parsedVersions sync.Map // string -> *version.Version, nil when unparsable

// parsedVersionsMax bounds the cache; versions beyond it are parsed each time.
const parsedVersionsMax = 1024

var parsedVersionsLen atomic.Int32

func parsedVersion(v string) *version.Version {
	if p, ok := parsedVersions.Load(v); ok {
		return p.(*version.Version)
	}
	p, err := version.NewVersion(v)
	if err != nil {
		p = nil
	}
	if parsedVersionsLen.Load() < parsedVersionsMax {
		if _, loaded := parsedVersions.LoadOrStore(v, p); !loaded {
			parsedVersionsLen.Add(1)
		}
	}
	return p
}
