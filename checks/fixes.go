package checks

// FixID names the `ssmdoctor fix` selector that repairs a failed check.
// Each is a flag of the fix command and a row of its selector table
// (fix/fixrun/selectors.go); a check may return only these (TestWithFixTakesKnownIDs).
type FixID string

const (
	NoFix           FixID = ""
	FixSSHConfig    FixID = "ssh-config"
	FixInstanceRole FixID = "instance-role"
	FixUserPolicy   FixID = "user-policy"
	FixDHMC         FixID = "dhmc"
	FixHybridTier   FixID = "hybrid-tier"
	FixVPCEndpoints FixID = "vpc-endpoints"
	FixStart        FixID = "start"
	FixCloseSSHPort FixID = "close-ssh-port"
)

// FixIDs lists every selector, in the order fix offers them.
func FixIDs() []FixID {
	return []FixID{FixSSHConfig, FixInstanceRole, FixUserPolicy, FixDHMC, FixHybridTier, FixVPCEndpoints, FixStart, FixCloseSSHPort}
}
