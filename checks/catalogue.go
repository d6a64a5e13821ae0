package checks

// catalogue is every check, in the order they run and are reported: the
// workstation first, then the caller's permissions, the instance, and the
// session. A check's prerequisites (DependsOn) come before it, so a broken
// link hides what depends on it instead of burying the cause. Each file
// is named after its check's ID; docs/check-catalogue.md describes each.
func catalogue() []Check {
	return []Check{
		// Workstation.
		credentialsCheck(), // credentials: AWS credentials resolve and are not expired
		regionCheck(),      // region: a region is set (flag, environment, profile)
		sshClientCheck(),   // ssh-client: OpenSSH is installed and runs
		sshConfigCheck(),   // ssh-config: ssh -G routes i-*/mi-* through Session Manager
		sshIdentityCheck(), // ssh-identity: a key ssh will offer, with safe modes
		pluginCheck(),      // session-manager-plugin: only for the AWS CLI ProxyCommand form
		proxyEnvCheck(),    // proxy-env: HTTPS proxies that would intercept the websocket

		// The caller's IAM permissions.
		callerIdentityCheck(),         // caller-identity: who sts:GetCallerIdentity says
		callerStartSessionCheck(),     // caller-start-session: instance and document, with context
		callerSessionLifecycleCheck(), // caller-session-lifecycle: terminate and resume one's sessions
		callerInstanceConnectCheck(),  // caller-instance-connect: one-time keys (--ephemeral-key)
		callerKMSCheck(),              // caller-kms: data keys when sessions are encrypted
		callerReadPermissionsCheck(),  // caller-read-permissions: what the doctor itself reads

		// The instance.
		instanceExistsCheck(),          // instance-exists: exists and runs
		instanceProfileCheck(),         // instance-profile: a role (profile or Default Host Management)
		instanceRolePermissionsCheck(), // instance-role-permissions: the role's core permissions
		instanceRegisteredCheck(),      // instance-registered: a managed node, Online
		instanceAgentVersionCheck(),    // instance-agent-version: SSM Agent new enough
		instanceHybridTierCheck(),      // instance-hybrid-tier: advanced tier for mi- nodes
		instanceNetworkCheck(),         // instance-network: routes, endpoints, groups, ACLs
		instanceMetadataCheck(),        // instance-metadata: IMDS for the agent's credentials
		exposureSSHPortCheck(),         // exposure-ssh-port: TCP 22 open to the internet
		exposureKeyPairCheck(),         // exposure-key-pair: a key pair where one-time keys work

		// The session.
		sessionPreferencesCheck(), // session-preferences: KMS, RunAs
		sessionLoggingCheck(),     // session-logging: S3/CloudWatch logging, encryption enforced
		sessionTimeoutsCheck(),    // session-timeouts: idle timeout, maximum duration
		connectionStatusCheck(),   // connection-status: GetConnectionStatus
		sessionProbeCheck(),       // session-probe: a real session reads sshd's banner (--probe)
	}
}
