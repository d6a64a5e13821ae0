package main

import "regexp"

// The one rule for --document: check, shell, forward and access take it.
var (
	// documentNameRE is SSM's pattern for a document name: letters,
	// digits, _ - . (3 to 128).
	documentNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,128}$`)
	// documentRE is a name, or a document's ARN (a shared document).
	documentRE = regexp.MustCompile(`^([A-Za-z0-9_.-]{3,128}|arn:aws[\w-]*:ssm:[a-z0-9-]*:\d{0,12}:document/[A-Za-z0-9_.-]{3,128})$`)
)

// documentHint is the hint of a malformed --document.
const documentHint = "a document name such as AWS-StartSSHSession (letters, digits, _ - ., 3 to 128), or its ARN"
