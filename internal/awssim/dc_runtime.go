package awssim

import "net/http"

// dcRuntime: OWNED BY THE DATA CHANNEL AREA (placeholder).
type dcRuntime struct{}

func (s *Sim) serveDataChannel(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "data channel not implemented", http.StatusNotImplemented)
}
