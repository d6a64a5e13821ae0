package awssim

import "net/http"

// eicRuntime holds keys pushed with SendSSHPublicKey. OWNED BY THE SSM AREA (placeholder).
type eicRuntime struct{}

func (s *Sim) serveEICKeys(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
