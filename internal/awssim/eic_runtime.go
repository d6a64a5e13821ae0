package awssim

import (
	"net/http"
	"strings"
	"time"
)

// eicKeyLifetime is how long EC2 Instance Connect keeps a pushed key.
const eicKeyLifetime = 60 * time.Second

// eicRuntime holds keys pushed with SendSSHPublicKey. Guarded by Sim.mu.
type eicRuntime struct {
	// keys: instance id -> OS user -> pushed keys, oldest first.
	keys map[string]map[string][]eicKey
}

type eicKey struct {
	line    string // authorized_keys line (type, base64, no comment)
	expires time.Time
}

func (r *eicRuntime) push(instanceID, user, line string, expires time.Time) {
	if r.keys == nil {
		r.keys = map[string]map[string][]eicKey{}
	}
	if r.keys[instanceID] == nil {
		r.keys[instanceID] = map[string][]eicKey{}
	}
	r.keys[instanceID][user] = append(r.keys[instanceID][user], eicKey{line: line, expires: expires})
}

// AuthorizedKeys returns the authorized_keys lines EC2 Instance Connect
// currently holds for the instance and OS user: keys pushed less than 60 s
// ago (by the simulator's clock). Expired keys are dropped as a side effect.
func (s *Sim) AuthorizedKeys(instanceID, osUser string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var live []eicKey
	var out []string
	for _, k := range s.ext.eic.keys[instanceID][osUser] {
		if now.Before(k.expires) {
			live = append(live, k)
			out = append(out, k.line)
		}
	}
	if m := s.ext.eic.keys[instanceID]; m != nil {
		m[osUser] = live
	}
	return out
}

// serveEICKeys answers /_sim/eic-keys?instance=ID&user=NAME with the
// current keys, one authorized_keys line each (an empty body when none),
// for a test sshd's AuthorizedKeysCommand.
func (s *Sim) serveEICKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inst, user := q.Get("instance"), q.Get("user")
	if inst == "" || user == "" {
		http.Error(w, "eic-keys needs instance and user query parameters", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	for _, l := range s.AuthorizedKeys(inst, user) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	w.Write([]byte(b.String()))
}
