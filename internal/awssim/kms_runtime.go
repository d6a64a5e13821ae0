package awssim

// kmsRuntime: OWNED BY THE SSM AREA (placeholder).
type kmsRuntime struct{}
