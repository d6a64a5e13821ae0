package checks

import (
	"slices"
	"sync"
)

// catalogue is every check, in the order they run and are reported: the
// workstation first, then the caller's permissions, the instance, and the
// session. A check's prerequisites (DependsOn) come before it, so a broken
// link hides what depends on it instead of burying the cause. Each file
// is named after its check's ID; docs/check-catalogue.md describes each.
//
// The checks are immutable values, made once: a fleet asks for the list
// once per target, and making forty-odd checks each time showed in its
// profile (docs/benchmarks.md). Each caller gets its own copy of the
// slice, which it may reorder or wrap.
func catalogue() []Check { return slices.Clone(theCatalogue()) }

var theCatalogue = sync.OnceValue(func() []Check {
	return []Check{
		// Workstation.
		credentialsCheck(),          // credentials: AWS credentials resolve and are not expired
		regionCheck(),               // region: a region is set (flag, environment, profile)
		sshClientCheck(),            // ssh-client: OpenSSH is installed and runs
		sshConfigCheck(),            // ssh-config: ssh -G routes i-*/mi-* through Session Manager
		sshIdentityCheck(),          // ssh-identity: a key ssh will offer, with safe modes
		pluginCheck(),               // session-manager-plugin: only for the AWS CLI ProxyCommand form
		proxyEnvCheck(),             // proxy-env: HTTPS proxies that would intercept the websocket
		localIdentitiesCheck(),      // local-identities: the keys ssh offers, by fingerprint
		localKnownHostsCheck(),      // local-known-hosts: a stale host key for the instance
		localEndpointsCheck(),       // local-endpoints: DNS and TLS to ssm and ssmmessages
		localInstanceConnectCheck(), // local-instance-connect: EC2 Instance Connect (one-time keys)

		// The caller's IAM permissions.
		callerIdentityCheck(),         // caller-identity: who sts:GetCallerIdentity says
		callerStartSessionCheck(),     // caller-start-session: instance and document, with context
		callerSessionLifecycleCheck(), // caller-session-lifecycle: terminate and resume one's sessions
		callerInstanceConnectCheck(),  // caller-instance-connect: one-time keys (--ephemeral-key)
		callerKMSCheck(),              // caller-kms: data keys when sessions are encrypted
		callerReadPermissionsCheck(),  // caller-read-permissions: what the doctor itself reads

		// The instance.
		instanceExistsCheck(),          // instance-exists: exists and runs
		instanceStatusCheck(),          // instance-status: EC2's system and instance status checks
		instanceProfileCheck(),         // instance-profile: a role (profile or Default Host Management)
		instanceRolePermissionsCheck(), // instance-role-permissions: the role's core permissions
		instanceRoleKMSCheck(),         // instance-role-kms: kms:Decrypt on the preferences' key
		instanceRegisteredCheck(),      // instance-registered: a managed node, Online
		instanceAgentVersionCheck(),    // instance-agent-version: SSM Agent new enough
		instanceHybridTierCheck(),      // instance-hybrid-tier: advanced tier for mi- nodes
		instanceNetworkCheck(),         // instance-network: routes, endpoints, groups, ACLs
		instanceMetadataCheck(),        // instance-metadata: IMDS for the agent's credentials
		exposureSSHPortCheck(),         // exposure-ssh-port: TCP 22 open to the internet
		exposureKeyPairCheck(),         // exposure-key-pair: a key pair where one-time keys work
		// Inside the instance (--on-instance: one read-only script run with Run Command).
		instanceSSHDCheck(),           // instance-sshd: running, listening, effective settings
		instanceOSUserCheck(),         // instance-os-user: exists, shell, home
		instanceAuthorizedKeysCheck(), // instance-authorized-keys: the offered key, modes
		instanceEICCheck(),            // instance-eic: EC2 Instance Connect for one-time keys
		instanceAgentLogCheck(),       // instance-agent-log: the agent's recent errors
		instanceClockCheck(),          // instance-clock: skew against AWS
		instanceDiskCheck(),           // instance-disk: / and /var not full

		// The session.
		sessionPreferencesCheck(), // session-preferences: KMS, RunAs
		sessionLoggingCheck(),     // session-logging: S3/CloudWatch logging, encryption enforced
		sessionTimeoutsCheck(),    // session-timeouts: idle timeout, maximum duration
		connectionStatusCheck(),   // connection-status: GetConnectionStatus
		sessionProbeCheck(),       // session-probe: a real session reads sshd's banner (--probe)
	}
})
