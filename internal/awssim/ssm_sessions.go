package awssim

import (
	"crypto/rand"
	"encoding/base64"
	"sort"
	"strings"
	"time"
)

func targetNotConnected(target string) *APIError {
	return Errf("TargetNotConnected", "%s is not connected.", target)
}

func sessionNotFound(id string) *APIError {
	return Errf("DoesNotExistException", "Session with id %s does not exist.", id)
}

func newSessionToken() string {
	b := make([]byte, 96)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionOwnerName prefixes session ids, as AWS does with the user name or
// role session name, so session/${aws:username}-* policies work.
func sessionOwnerName(p *Principal) string {
	switch {
	case p.Kind == "user":
		return p.UserName
	case p.Kind == "assumed-role":
		return p.SessionName
	}
	return "root"
}

func streamURL(c *Call, id string) string {
	return "ws://" + c.HTTP.Host + "/v1/data-channel/" + id + "?role=publish_subscribe"
}

func (s *Sim) ssmStartSession(c *Call) (any, error) {
	var in struct {
		Target, DocumentName, Reason string
		Parameters                   map[string][]string
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.Target == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null")
	}
	docName := in.DocumentName
	if docName == "" {
		docName = runShellDoc
	}
	s.mu.Lock()
	doc, docARN, docOK := s.state.sessionDocument(c.Region, docName)
	if !docOK {
		docARN = "arn:aws:ssm:" + c.Region + ":" + s.state.AccountID + ":document/" + docName
	}
	inst, instOK := s.state.Instances[in.Target]
	instOK = instOK && inst.Region == c.Region
	var tags []Tag
	if instOK {
		tags = append(tags, inst.Tags...)
	}
	nodeARN := s.state.nodeARN(c.Region, in.Target)
	s.mu.Unlock()

	ctx := tagContext(nil, tags, "ssm:resourceTag/")
	if in.DocumentName != "" {
		ctx["ssm:SessionDocumentAccessCheck"] = []string{"true"}
	}
	if err := s.authorize(c, "ssm:StartSession", nodeARN, ctx); err != nil {
		return nil, err
	}
	docCtx := map[string][]string{}
	if in.DocumentName != "" {
		docCtx["ssm:SessionDocumentAccessCheck"] = []string{"true"}
	}
	if err := s.authorize(c, "ssm:StartSession", docARN, docCtx); err != nil {
		return nil, err
	}
	if !docOK {
		return nil, invalidDocument(docName)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.ext.ssm.faults.FailStartSession; code != "" {
		if code == "TargetNotConnected" {
			return nil, targetNotConnected(in.Target)
		}
		return nil, Errf(code, "injected StartSession failure")
	}
	// Re-read: the state may have changed while authorizing.
	inst, instOK = s.state.Instances[in.Target]
	if !instOK || inst.Region != c.Region {
		return nil, targetNotConnected(in.Target)
	}
	if isHybrid(inst.ID) && s.state.settingValue(c.Region, settingTier) != "advanced" {
		return nil, Errf("BadRequest", "Enable advanced-instances tier to use Session Manager with your on-premises instances")
	}
	if !s.state.online(inst, s.now()) {
		return nil, targetNotConnected(in.Target)
	}
	params := map[string]string{}
	for k, v := range doc.defaults {
		params[k] = v
	}
	for k, v := range in.Parameters {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	token := newSessionToken()
	ss := &simSession{
		ID:           sessionOwnerName(c.Principal) + "-" + randomHex(17),
		Region:       c.Region,
		Target:       in.Target,
		DocumentName: docName,
		Port:         params["portNumber"],
		Host:         params["host"],
		Params:       params,
		Owner:        c.Principal.ARN,
		Tokens:       map[string]bool{token: true},
		Started:      s.now(),
		KMSKeyID:     s.state.SessionPreferences.KMSKeyID,
		Reason:       in.Reason,
		terminate:    make(chan struct{}),
	}
	if s.ext.ssm.sessions == nil {
		s.ext.ssm.sessions = map[string]*simSession{}
	}
	s.ext.ssm.sessions[ss.ID] = ss
	return map[string]string{"SessionId": ss.ID, "TokenValue": token, "StreamUrl": streamURL(c, ss.ID)}, nil
}

// sessionFor finds a session of the call's region; sessions live in one
// region, like every SSM resource.
func (s *Sim) sessionFor(c *Call, op string) (*simSession, error) {
	var in struct{ SessionId string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.SessionId == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'sessionId' failed to satisfy constraint: Member must not be null")
	}
	if err := s.authorize(c, "ssm:"+op, s.acctARN("ssm", c.Region, "session/"+in.SessionId), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	ss, ok := s.ext.ssm.sessions[in.SessionId]
	s.mu.Unlock()
	if !ok || ss.Region != c.Region {
		return nil, sessionNotFound(in.SessionId)
	}
	return ss, nil
}

func (s *Sim) ssmResumeSession(c *Call) (any, error) {
	ss, err := s.sessionFor(c, "ResumeSession")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.Terminated {
		// No token: the plugin reads this as "the session is gone".
		return map[string]string{"SessionId": ss.ID}, nil
	}
	token := newSessionToken()
	ss.Tokens[token] = true
	return map[string]string{"SessionId": ss.ID, "TokenValue": token, "StreamUrl": streamURL(c, ss.ID)}, nil
}

func (s *Sim) ssmTerminateSession(c *Call) (any, error) {
	ss, err := s.sessionFor(c, "TerminateSession")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if !ss.Terminated {
		ss.Terminated = true
		ss.Ended = s.now()
		ss.Tokens = map[string]bool{}
	}
	s.mu.Unlock()
	ss.closeTerminate()
	return map[string]string{"SessionId": ss.ID}, nil
}

type ssmSessionOut struct {
	SessionID    string   `json:"SessionId"`
	Target       string   `json:"Target"`
	Status       string   `json:"Status"`
	StartDate    float64  `json:"StartDate"`
	EndDate      *float64 `json:"EndDate,omitempty"`
	DocumentName string   `json:"DocumentName"`
	Owner        string   `json:"Owner"`
	Reason       string   `json:"Reason,omitempty"`
	AccessType   string   `json:"AccessType"`
}

// sessionFilterKeys are DescribeSessions' filter keys.
var sessionFilterKeys = map[string]bool{
	"InvokedAfter": true, "InvokedBefore": true, "Target": true, "Owner": true,
	"Status": true, "SessionId": true, "AccessType": true,
}

func (s *Sim) ssmDescribeSessions(c *Call) (any, error) {
	var in struct {
		State   string
		Filters []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		}
		MaxResults *int
		NextToken  string
	}
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if in.State != "Active" && in.State != "History" {
		return nil, Errf("ValidationException", "1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]", in.State)
	}
	if err := validMaxResults(in.MaxResults, 1, 200); err != nil {
		return nil, err
	}
	for _, f := range in.Filters {
		if !sessionFilterKeys[f.Key] {
			return nil, Errf("InvalidFilterKey", "The filter key %s is not valid.", f.Key)
		}
		if f.Key == "InvokedAfter" || f.Key == "InvokedBefore" {
			if _, err := time.Parse(time.RFC3339, f.Value); err != nil {
				return nil, Errf("InvalidFilterValue", "The filter value %s is not a valid date.", f.Value)
			}
		}
	}
	if err := s.authorize(c, "ssm:DescribeSessions", s.ssmWildcardARN(c.Region), nil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var list []ssmSessionOut
	for _, ss := range s.ext.ssm.sessions {
		if ss.Region != c.Region || ss.Terminated != (in.State == "History") {
			continue
		}
		o := ssmSessionOut{SessionID: ss.ID, Target: ss.Target, Status: "Connected", StartDate: EpochSeconds(ss.Started),
			DocumentName: ss.DocumentName, Owner: ss.Owner, Reason: ss.Reason, AccessType: "Standard"}
		if ss.Terminated {
			o.Status = "Terminated"
			if ss.Failed {
				o.Status = "Failed"
			}
			e := EpochSeconds(ss.Ended)
			o.EndDate = &e
		}
		if sessionMatches(ss, o, in.Filters) {
			list = append(list, o)
		}
	}
	s.mu.Unlock()
	// Newest first, as the console and the API list them.
	sort.Slice(list, func(i, j int) bool {
		if list[i].StartDate != list[j].StartDate {
			return list[i].StartDate > list[j].StartDate
		}
		return list[i].SessionID < list[j].SessionID
	})
	max := 20
	if in.MaxResults != nil {
		max = *in.MaxResults
	}
	start, end, next, perr := Page("ssm.DescribeSessions."+in.State, len(list), max, in.NextToken)
	if perr != nil {
		return nil, perr
	}
	type out struct {
		Sessions  []ssmSessionOut
		NextToken string `json:",omitempty"`
	}
	return out{Sessions: append([]ssmSessionOut{}, list[start:end]...), NextToken: next}, nil
}

func sessionMatches(ss *simSession, o ssmSessionOut, filters []struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}) bool {
	for _, f := range filters {
		ok := true
		switch f.Key {
		case "InvokedAfter":
			t, _ := time.Parse(time.RFC3339, f.Value)
			ok = !ss.Started.Before(t)
		case "InvokedBefore":
			t, _ := time.Parse(time.RFC3339, f.Value)
			ok = ss.Started.Before(t)
		case "Target":
			ok = ss.Target == f.Value
		case "Owner":
			ok = ss.Owner == f.Value
		case "Status":
			ok = strings.EqualFold(o.Status, f.Value)
		case "SessionId":
			ok = ss.ID == f.Value
		case "AccessType":
			ok = f.Value == "Standard"
		}
		if !ok {
			return false
		}
	}
	return true
}
