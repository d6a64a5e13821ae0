package checks

// localChecks is the ordered list of workstation checks (catalogue section A).
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
