package awssim

// kmsRuntime: KMS keeps no runtime state beyond each key's material, which
// lives on State.KMSKeys (generated on first use when a scenario has none).
type kmsRuntime struct{}
