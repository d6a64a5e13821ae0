package awssim

import (
	"strings"
	"time"
)

// settingChange records who last changed a setting; unchanged settings
// report AWS's "System" and Status Default.
type settingChange struct {
	user string
	at   time.Time
}

// knownSettings are the service settings the simulator models.
var knownSettings = map[string]bool{settingDHMCRole: true, settingTier: true}

// settingID accepts the bare path or the full servicesetting ARN.
func settingID(in string) string {
	if _, rest, ok := strings.Cut(in, ":servicesetting"); ok && strings.HasPrefix(in, "arn:") {
		return rest
	}
	return in
}

func settingNotFound(id string) *APIError {
	return Errf("ServiceSettingNotFound", "The specified service setting %s wasn't found.", id)
}

func (s *Sim) serviceSetting(region, id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.state.settingValue(region, id)
	ch, changed := s.ext.ssm.settingChanges[region+id]
	out := map[string]any{
		"SettingId":        id,
		"SettingValue":     v,
		"ARN":              "arn:aws:ssm:" + region + ":" + s.state.AccountID + ":servicesetting" + id,
		"LastModifiedUser": "System",
		"LastModifiedDate": EpochSeconds(docCreated),
		"Status":           "Default",
	}
	if changed {
		out["LastModifiedUser"] = ch.user
		out["LastModifiedDate"] = EpochSeconds(ch.at)
		out["Status"] = "Customized"
	}
	return out
}

func (s *Sim) ssmGetServiceSetting(c *Call) (any, error) {
	var in struct{ SettingId string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	id := settingID(in.SettingId)
	if err := s.authorize(c, "ssm:GetServiceSetting", s.acctARN("ssm", c.Region, "servicesetting"+id), nil); err != nil {
		return nil, err
	}
	if !knownSettings[id] {
		return nil, settingNotFound(in.SettingId)
	}
	return map[string]any{"ServiceSetting": s.serviceSetting(c.Region, id)}, nil
}

func (s *Sim) ssmUpdateServiceSetting(c *Call) (any, error) {
	var in struct{ SettingId, SettingValue string }
	if err := c.DecodeJSON(&in); err != nil {
		return nil, err
	}
	id := settingID(in.SettingId)
	if err := s.authorize(c, "ssm:UpdateServiceSetting", s.acctARN("ssm", c.Region, "servicesetting"+id), nil); err != nil {
		return nil, err
	}
	if !knownSettings[id] {
		return nil, settingNotFound(in.SettingId)
	}
	if id == settingTier && in.SettingValue != "standard" && in.SettingValue != "advanced" {
		return nil, Errf("ValidationException", "The value %s is not valid for %s: use standard or advanced.", in.SettingValue, id)
	}
	if in.SettingValue == "" {
		return nil, Errf("ValidationException", "1 validation error detected: Value null at 'settingValue' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	if s.state.ServiceSettings[c.Region] == nil {
		s.state.ServiceSettings[c.Region] = map[string]string{}
	}
	s.state.ServiceSettings[c.Region][id] = in.SettingValue
	if s.ext.ssm.settingChanges == nil {
		s.ext.ssm.settingChanges = map[string]settingChange{}
	}
	s.ext.ssm.settingChanges[c.Region+id] = settingChange{user: c.Principal.ARN, at: s.now()}
	s.mu.Unlock()
	return map[string]any{}, nil
}
