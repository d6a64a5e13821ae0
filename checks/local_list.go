package checks

// localChecks is the ordered list of workstation checks
// (docs/check-catalogue.md#local-layer).
func localChecks() []Check {
	return []Check{
		credentialsCheck(),
		regionCheck(),
		sshClientCheck(),
		sshConfigCheck(),
		sshIdentityCheck(),
		pluginCheck(),
		proxyEnvCheck(),
	}
}
