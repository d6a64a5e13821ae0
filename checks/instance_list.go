package checks

// awsChecks lists the caller, instance and session checks in report order;
// each instance check's DependsOn names the fact it builds on, so a broken
// prerequisite hides its dependents instead of burying the cause.
func awsChecks() []Check {
	return []Check{
		callerIdentityCheck(),
		callerStartSessionCheck(),
		callerSessionLifecycleCheck(),
		callerInstanceConnectCheck(),
		callerKMSCheck(),
		callerReadPermissionsCheck(),
		instanceExistsCheck(),
		instanceProfileCheck(),
		instanceRolePermissionsCheck(),
		instanceRegisteredCheck(),
		instanceAgentVersionCheck(),
		instanceHybridTierCheck(),
		instanceNetworkCheck(),
		instanceMetadataCheck(),
		sessionPreferencesCheck(),
		connectionStatusCheck(),
	}
}
