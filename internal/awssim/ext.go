package awssim

// extState is runtime state that is not part of a scenario. Each service
// area owns one field and its type (declared in its own files).
type extState struct {
	ssm ssmRuntime // ssm_*.go: sessions
	eic eicRuntime // eic_*.go: pushed keys
	kms kmsRuntime // kms_*.go
	dc  dcRuntime  // dc_*.go: data channel
	ec2 ec2Runtime // ec2_*.go: instances starting
	cmd cmdRuntime // ssm_commands.go: Run Command
}
