package awssim

import (
	"testing"
	"time"
)

// TestSSMDemoScenarioRegistration pins what Systems Manager reports for
// each case of the shipped demo scenario, which the doctor's demo findings
// rest on.
func TestSSMDemoScenarioRegistration(t *testing.T) {
	st := DemoScenario()
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]string{ // Scenario tag -> PingStatus ("" = not registered)
		"healthy":                "Online",
		"old-agent":              "Online",
		"no-instance-profile":    "",
		"legacy-role":            "Online",
		"connection-lost":        "ConnectionLost",
		"private-no-endpoints":   "",
		"stopped":                "ConnectionLost",
		"dhmc-managed":           "Online",
		"private-with-endpoints": "Online",
		"hybrid-standard-tier":   "Online",
		"ssh-open":               "Online",
		"key-pair":               "Online",
	}
	seen := 0
	for _, inst := range st.Instances {
		scen := ""
		for _, tg := range inst.Tags {
			if tg.Key == "Scenario" {
				scen = tg.Value
			}
		}
		reg, ping, _ := st.registration(inst, now)
		if scen == "role-without-ssm" {
			// The case is about the role: it must not let the agent
			// register. The real agent then falls back to DHMC, so the node
			// registers only when DHMC can apply to it.
			arn := st.nodeARN(inst.Region, inst.ID)
			for _, r := range st.instanceRoles(inst, nil) {
				if (policyReader{st: st}).roleAllows(r, "ssm:UpdateInstanceInformation", arn) {
					t.Errorf("role-without-ssm: role %s lets the agent register", r)
				}
			}
			rescued := dhmcOn(st.settingValue(inst.Region, settingDHMCRole)) && inst.Metadata.HTTPTokens == "required" && versionAtLeast(inst.Agent.Version, dhmcMinAgent)
			if reg != rescued {
				t.Errorf("role-without-ssm: registered=%v, DHMC fallback applies=%v", reg, rescued)
			}
			seen++
			continue
		}
		w, ok := want[scen]
		if !ok {
			t.Errorf("%s: unexpected scenario %q", inst.ID, scen)
			continue
		}
		seen++
		if reg != (w != "") || ping != w {
			t.Errorf("%s (%s): registered=%v ping=%q, want %q", inst.ID, scen, reg, ping, w)
		}
	}
	if seen != len(want)+1 {
		t.Errorf("checked %d demo instances, want %d", seen, len(want)+1)
	}
}
