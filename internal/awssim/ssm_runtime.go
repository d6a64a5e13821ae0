package awssim

// ssmRuntime holds SSM sessions. OWNED BY THE SSM AREA (placeholder).
type ssmRuntime struct{}
