package awssim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// serveAdmin answers the simulator's own endpoints under /_sim/ (not AWS
// APIs): counters for tests and benchmarks, and the keys EC2 Instance
// Connect currently holds (for a test sshd's AuthorizedKeysCommand).
func (s *Sim) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, "/_sim/") {
	case "calls":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.AllCalls())
	case "eic-keys":
		s.serveEICKeys(w, r)
	default:
		http.NotFound(w, r)
	}
}
