package awssim

// IAM's error responses, with the exact wording AWS uses.

func noSuchRole(name string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func noSuchUser(name string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

func noSuchProfile(name string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "Instance Profile %s cannot be found.", name)
}

// noSuchPolicy is GetPolicy's wording; attaching uses notAttachable.
func noSuchPolicy(arn string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "Policy %s was not found.", arn)
}

func notAttachable(arn string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
}

func noSuchPolicyVersion(arn, version string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", arn, version)
}

// noSuchInlinePolicy: kind is "role", "user" or "group".
func noSuchInlinePolicy(kind, name string) *APIError {
	return ErrStatus(404, "NoSuchEntity", "The %s policy with name %s cannot be found.", kind, name)
}

func invalidInput(format string, args ...any) *APIError {
	return ErrStatus(400, "InvalidInput", format, args...)
}

// missingParam is the query protocols' answer to an absent required
// parameter (the SDKs validate first, so only raw callers see it).
func missingParam(name string) *APIError {
	return ErrStatus(400, "ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

func malformedPolicy(err error) *APIError {
	return ErrStatus(400, "MalformedPolicyDocument", "%s", err.Error())
}
