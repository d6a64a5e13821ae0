package awssim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xtaci/smux"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// Port forwarding sessions as the agent runs them
// (docs/session-protocol.md#port-forwarding-sessions). The handshake's
// SessionType properties are the document's properties with the session's
// parameters filled in. A session whose properties say type
// LocalPortForwarding is multiplexed with smux when the agent is newer
// than 3.0.196.0 and the client (by its HandshakeResponse's
// ClientVersion) is at least 1.1.70, as the agent decides; otherwise it
// carries one connection at a time: the target's EOF closes it and the
// next client data dials again.

// muxMinClientVersion is the oldest client the agent multiplexes for.
const muxMinClientVersion = "1.1.70"

// sessionProperties are the document's properties with its parameters
// substituted ("{{ portNumber }}" -> "5432"); nil for a document without
// properties.
func sessionProperties(ss *simSession) map[string]string {
	doc, ok := awsSessionDocs[ss.DocumentName]
	if !ok {
		return nil
	}
	raw, _ := doc.content["properties"].(map[string]any)
	if raw == nil {
		return nil
	}
	props := make(map[string]string, len(raw))
	for k, v := range raw {
		s, _ := v.(string)
		props[k] = substituteParams(s, ss.Params)
	}
	return props
}

// substituteParams fills "{{ name }}" references with the parameters'
// values (unknown names become empty, as an unset optional parameter).
func substituteParams(s string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(params[strings.TrimSpace(s[i+2:i+j])])
		s = s[i+j+2:]
	}
}

// sessionTypeRequest is the SessionType action's parameters as the agent
// sends them: the properties as a JSON object (keys in order, as Go
// marshals a map).
func sessionTypeRequest(ss *simSession) []byte {
	props := sessionProperties(ss)
	if props == nil {
		props = map[string]string{"portNumber": ss.Port}
	}
	pj, _ := json.Marshal(props)
	st, _ := json.Marshal(tunnel.SessionTypeRequest{SessionType: "Port", Properties: pj})
	return st
}

// sessionAgentVersion is the version the agent reports: DCOptions'
// AgentVersion when a test set one, else the instance's.
func (s *Sim) sessionAgentVersion(ss *simSession, override string) string {
	if override != "" {
		return override
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.state.Instances[ss.Target]; ok && inst.Agent.Version != "" {
		return inst.Agent.Version
	}
	return LatestAgentVersion
}

// portMode picks how the agent carries this session's connections, once
// the client's version is known. ch.mu held.
func (ch *dcChannel) portMode() tunnel.ForwardMode {
	props := sessionProperties(ch.sess)
	p := tunnel.PortProperties{Type: props["type"]}
	mode := tunnel.ModeFor(p, ch.agentVersion)
	if mode == tunnel.ForwardMux && (ch.clientVersion == "" || !versionAtLeast(ch.clientVersion, muxMinClientVersion)) {
		mode = tunnel.ForwardBasic
	}
	return mode
}

func isInstanceItself(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1", "[::1]":
		return true
	}
	return false
}

// remoteHostAddrLocked is the real address behind host:port as seen from
// inst: Instance.RemoteHosts (or, as older scenarios wrote it,
// Instance.Ports), after the modelled network lets the connection out.
// s.mu held.
func (s *Sim) remoteHostAddrLocked(inst *Instance, host, port string) (string, error) {
	key := net.JoinHostPort(host, port)
	addr, ok := inst.RemoteHosts[key]
	if !ok {
		addr, ok = inst.Ports[host+":"+port]
	}
	if !ok {
		return "", fmt.Errorf("dial tcp %s: connect: connection refused (no RemoteHosts entry for it on %s)", key, inst.ID)
	}
	if p := s.state.remoteHostProblem(inst, host, port); p != "" {
		return "", fmt.Errorf("dial tcp %s: i/o timeout (%s)", key, p)
	}
	return addr, nil
}

// remoteHostProblem says what in the modelled network stops inst's TCP
// connection to host:port: its security groups' outbound rules, its
// subnet's network ACL (out to the port, replies back in on the ephemeral
// ports) and, when host is another instance of the state, that
// instance's inbound rules. "" when nothing does, or when the network is
// not modelled (no groups; a host name the state does not know).
func (st *State) remoteHostProblem(inst *Instance, host, port string) string {
	p, err := strconv.Atoi(port)
	if err != nil {
		return ""
	}
	ip, dest := st.resolveHost(host)
	if !ip.IsValid() {
		return ""
	}
	peer := netip.PrefixFrom(ip, ip.BitLen())
	mine := st.effectiveGroups(inst.SecurityGroupIDs, inst.VpcID)
	var theirs netGroups
	if dest != nil {
		theirs = st.effectiveGroups(dest.SecurityGroupIDs, dest.VpcID)
	}
	if mine.modelled && !st.groupsLetOut(mine, theirs, ip, p) {
		return fmt.Sprintf("the security groups of %s allow no outbound TCP %d to %s", inst.ID, p, ip)
	}
	acl := st.subnetACL(inst.SubnetID, inst.VpcID)
	if r := naclBlock(acl, true, peer, p, p); r != "" {
		return fmt.Sprintf("network ACL %s denies outbound TCP %d to %s (rule %s)", acl.ID, p, ip, r)
	}
	if r := naclBlock(acl, false, peer, ephemeralFrom, ephemeralTo); r != "" {
		return fmt.Sprintf("network ACL %s denies inbound TCP %d-%d from %s (rule %s)", acl.ID, ephemeralFrom, ephemeralTo, ip, r)
	}
	if dest != nil && theirs.modelled && !st.groupsLetIn(theirs, mine, inst, p) {
		return fmt.Sprintf("the security groups of %s allow no inbound TCP %d from %s", dest.ID, p, inst.ID)
	}
	return ""
}

// resolveHost is host's address as the VPC would resolve it: an address
// as it is, or another instance's private DNS name or address (returned
// too). The zero address when the state does not know the name.
func (st *State) resolveHost(host string) (netip.Addr, *Instance) {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	ids := make([]string, 0, len(st.Instances))
	for id := range st.Instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		in := st.Instances[id]
		if err == nil && (in.PrivateIP == ip.String() || in.IPv6 == ip.String()) ||
			err != nil && in.PrivateDNS != "" && strings.EqualFold(in.PrivateDNS, host) {
			a, perr := netip.ParseAddr(in.PrivateIP)
			if perr != nil {
				continue
			}
			if err == nil {
				a = ip
			}
			return a, in
		}
	}
	if err != nil {
		return netip.Addr{}, nil
	}
	return ip, nil
}

func ruleCoversPort(r SGRule, port int) bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.FromPort <= port && r.ToPort >= port
	}
	return false
}

// groupsLetOut: an outbound rule of mine covers TCP port to ip (a CIDR
// holding it, or one of the destination's groups).
func (st *State) groupsLetOut(mine, theirs netGroups, ip netip.Addr, port int) bool {
	for _, id := range mine.ids {
		sg, ok := st.SecurityGroups[id]
		if !ok {
			continue
		}
		for _, r := range sg.Egress {
			if !ruleCoversPort(r, port) {
				continue
			}
			for _, g := range r.Groups {
				if theirs.has(g) {
					return true
				}
			}
			for _, c := range r.Cidrs {
				if p, err := netip.ParsePrefix(c); err == nil && p.Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

// groupsLetIn: an inbound rule of theirs covers TCP port from inst (one
// of its groups, or a CIDR holding its private address).
func (st *State) groupsLetIn(theirs, mine netGroups, inst *Instance, port int) bool {
	src, _ := netip.ParseAddr(inst.PrivateIP)
	for _, id := range theirs.ids {
		sg, ok := st.SecurityGroups[id]
		if !ok {
			continue
		}
		for _, r := range sg.Ingress {
			if !ruleCoversPort(r, port) {
				continue
			}
			for _, g := range r.Groups {
				if mine.has(g) {
					return true
				}
			}
			for _, c := range r.Cidrs {
				if p, err := netip.ParsePrefix(c); err == nil && src.IsValid() && p.Contains(src) {
					return true
				}
			}
		}
	}
	return false
}

// startMux runs the agent's smux server for a multiplexed session and
// returns the end of the pipe the data channel reads and writes (the
// agent's unix socket pair). ch.mu held.
func (ch *dcChannel) startMux() net.Conn {
	agentEnd, muxEnd := net.Pipe()
	ms, err := smux.Server(muxEnd, tunnel.MuxConfig(ch.agentVersion))
	if err != nil {
		// The configuration is fixed and valid; nothing to recover.
		panic("awssim: smux server: " + err.Error())
	}
	go func() {
		<-ch.ctx.Done()
		ms.Close()
		muxEnd.Close()
	}()
	go func() {
		for {
			st, err := ms.AcceptStream()
			if err != nil {
				return
			}
			go ch.muxStream(st)
		}
	}()
	return agentEnd
}

// muxStream dials the destination for one stream; when that fails the
// agent sends ConnectToPortError and closes the stream.
func (ch *dcChannel) muxStream(st *smux.Stream) {
	addr, err := ch.s.sessionTargetAddr(ch.sess)
	var c net.Conn
	if err == nil {
		c, err = net.DialTimeout("tcp", addr, 10*time.Second)
	}
	if err != nil {
		ch.s.logf("data channel %s: stream %d: connect to the destination: %v", ch.id, st.ID(), err)
		ch.mu.Lock()
		if !ch.ended {
			ch.sendStream(tunnel.PayloadFlag, tunnel.FlagPayload(tunnel.FlagConnectToPortError))
		}
		ch.mu.Unlock()
		st.Close()
		return
	}
	copyBoth(st, c)
}

// copyBoth copies both ways and closes both ends when either direction
// ends, as the agent does.
func copyBoth(a, b io.ReadWriteCloser) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { a.Close(); b.Close() }) }
	done := make(chan struct{})
	go func() {
		io.Copy(a, b)
		closeBoth()
		close(done)
	}()
	io.Copy(b, a)
	closeBoth()
	<-done
}

// portReconnects handles the target's EOF in a forwarding session the
// agent carries one connection at a time: the agent closes its connection
// and dials again when the client's next data arrives, instead of ending
// the session. False for other sessions.
func (ch *dcChannel) portReconnects(t *dcTCP) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.mode != tunnel.ForwardBasic {
		return false
	}
	if ch.tcp == t {
		ch.tcp = nil
	}
	t.close(true)
	return true
}

// checkRemoteHosts: every RemoteHosts entry maps a host:port to a
// host:port, ports numeric.
func checkRemoteHosts(inst *Instance) error {
	for _, k := range sortedKeys(inst.RemoteHosts) {
		for _, hp := range []string{k, inst.RemoteHosts[k]} {
			h, p, err := net.SplitHostPort(hp)
			if n, perr := strconv.Atoi(p); err != nil || h == "" || perr != nil || n < 1 || n > 65535 {
				return scenarioErr("instance", inst.ID, "RemoteHosts entry %q: %q is not host:port", k, hp)
			}
		}
	}
	return nil
}
