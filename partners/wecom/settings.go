package wecom

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomsetting"
	"github.com/tierlink/tierlink/partners"
)

// The WeCom connection can be set on /admin/wecom as well as by the
// TIERLINK_WECOM_* variables; a variable that is set wins over what is
// stored. The stored settings are read when Tierlink starts (WithStored),
// so a change applies at the next start of each instance. Secrets are
// write-only: the page and the API say only whether each is set.

// SettingKeys are the settings an admin may store, in the order shown.
var SettingKeys = []string{"corp_id", "agent_id", "agent_secret", "contact_secret", "callback_token", "callback_aes_key"}

// secretKeys are the settings never shown again once stored.
var secretKeys = map[string]bool{"agent_secret": true, "contact_secret": true, "callback_token": true, "callback_aes_key": true}

// SettingEnv names the variable that overrides a setting.
func SettingEnv(key string) string { return "TIERLINK_WECOM_" + strings.ToUpper(key) }

// field is the Config field of a setting.
func (c *Config) field(key string) *string {
	switch key {
	case "corp_id":
		return &c.CorpID
	case "agent_id":
		return &c.AgentID
	case "agent_secret":
		return &c.AgentSecret
	case "contact_secret":
		return &c.ContactSecret
	case "callback_token":
		return &c.CallbackToken
	case "callback_aes_key":
		return &c.CallbackAESKey
	}
	return nil
}

// WithStored returns env (the configuration the variables give) with
// every setting the variables leave empty taken from the database.
func WithStored(ctx context.Context, db *ent.Client, env Config) (Config, error) {
	rows, err := db.WecomSetting.Query().All(partners.AsSystem(ctx, "wecom settings"))
	if err != nil {
		return env, err
	}
	out := env
	for _, r := range rows {
		if f := out.field(r.Key); f != nil && *f == "" {
			*f = r.Value
		}
	}
	return out, nil
}

// SettingsInput changes stored settings. An empty field keeps what is
// stored (so a secret need not be typed again); Clear names settings to
// remove.
type SettingsInput struct {
	CorpID         string   `json:"corp_id" validate:"max=64"`
	AgentID        string   `json:"agent_id" validate:"max=20"`
	AgentSecret    string   `json:"agent_secret" validate:"max=256"`
	ContactSecret  string   `json:"contact_secret" validate:"max=256"`
	CallbackToken  string   `json:"callback_token" validate:"max=64"`
	CallbackAESKey string   `json:"callback_aes_key" validate:"max=43"`
	Clear          []string `json:"clear" validate:"max=6,dive,oneof=corp_id agent_id agent_secret contact_secret callback_token callback_aes_key"`
}

func (in SettingsInput) values() map[string]string {
	return map[string]string{"corp_id": in.CorpID, "agent_id": in.AgentID, "agent_secret": in.AgentSecret,
		"contact_secret": in.ContactSecret, "callback_token": in.CallbackToken, "callback_aes_key": in.CallbackAESKey}
}

// Setting is one setting as the admin page shows it: a plain value for
// the corp and agent ids, only whether it is set for a secret, and
// where the value in force comes from.
type Setting struct {
	Key    string `json:"key"`
	Secret bool   `json:"secret"`
	// Value is the stored value of a setting that is not a secret.
	Value string `json:"value,omitempty"`
	// Stored says a value is stored in the database; Env that the
	// variable Var is set and wins over it.
	Stored bool   `json:"stored"`
	Env    bool   `json:"env"`
	Var    string `json:"var"`
}

// Settings are the stored settings, with the rule: applied at the next
// start.
type Settings struct {
	Items []Setting `json:"items"`
}

var (
	corpIDRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	agentIDRE = regexp.MustCompile(`^[0-9]{1,20}$`)
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	aesKeyRE  = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	secretRE  = regexp.MustCompile(`^[\x21-\x7e]{1,256}$`)
)

// SetEnv records the configuration the variables gave, so the settings
// say which of them the variables override.
func (s *Service) SetEnv(env Config) { s.env = env }

func (s *Service) admin(ctx context.Context) (viewer.Viewer, error) {
	v, _ := viewer.FromContext(ctx)
	if v.UserID == 0 {
		return v, partners.Errorf(partners.EUnauthenticated, "log in first")
	}
	if v.Role != viewer.RoleAdmin {
		return v, partners.Errorf(partners.EForbidden, "only an admin may see or change the WeCom settings")
	}
	return v, nil
}

// Settings returns the stored settings; admins only.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	if _, err := s.admin(ctx); err != nil {
		return Settings{}, err
	}
	rows, err := s.db.WecomSetting.Query().All(partners.AsSystem(ctx, "wecom settings"))
	if err != nil {
		return Settings{}, err
	}
	stored := map[string]string{}
	for _, r := range rows {
		stored[r.Key] = r.Value
	}
	out := Settings{Items: make([]Setting, 0, len(SettingKeys))}
	env := s.env
	for _, k := range SettingKeys {
		v, ok := stored[k]
		it := Setting{Key: k, Secret: secretKeys[k], Stored: ok, Env: *env.field(k) != "", Var: SettingEnv(k)}
		if ok && !it.Secret {
			it.Value = v
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}

// SaveSettings stores the settings given and removes those named in
// Clear; admins only, audited without any secret. They apply at the
// next start of each instance.
func (s *Service) SaveSettings(ctx context.Context, in SettingsInput) (Settings, error) {
	if err := partners.Validate(in); err != nil {
		return Settings{}, err
	}
	v, err := s.admin(ctx)
	if err != nil {
		return Settings{}, err
	}
	vals := in.values()
	var fields []partners.FieldError
	for _, k := range SettingKeys {
		x := strings.TrimSpace(vals[k])
		vals[k] = x
		if x == "" {
			continue
		}
		if slices.Contains(in.Clear, k) {
			fields = append(fields, partners.Because(k, partners.R("set_and_cleared")))
			continue
		}
		var bad *partners.FieldError
		switch k {
		case "corp_id":
			if !corpIDRE.MatchString(x) {
				bad = ptr(partners.Because(k, partners.R("wecom_corp_id")))
			}
		case "agent_id":
			if !agentIDRE.MatchString(x) {
				bad = ptr(partners.Because(k, partners.R("wecom_agent_id")))
			}
		case "callback_token":
			if !tokenRE.MatchString(x) {
				bad = ptr(partners.Because(k, partners.R("wecom_token")))
			}
		case "callback_aes_key":
			if !aesKeyRE.MatchString(x) {
				bad = ptr(partners.Because(k, partners.R("wecom_aes_key")))
			}
		default:
			if !secretRE.MatchString(x) {
				bad = ptr(partners.Because(k, partners.R("wecom_secret")))
			}
		}
		if bad != nil {
			fields = append(fields, *bad)
		}
	}
	if len(fields) > 0 {
		return Settings{}, &partners.Error{Code: partners.EInvalid, Message: "invalid WeCom settings", Fields: fields}
	}
	sys := partners.AsSystem(ctx, "wecom settings")
	now := s.now()
	var changed, cleared []string
	err = partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		for _, k := range SettingKeys {
			if x := vals[k]; x != "" {
				if err := c.WecomSetting.Create().SetKey(k).SetValue(x).SetUpdatedAt(now).SetUpdatedBy(v.UserID).
					OnConflictColumns(wecomsetting.FieldKey).UpdateValue().UpdateUpdatedAt().UpdateUpdatedBy().Exec(sys); err != nil {
					return err
				}
				changed = append(changed, k)
			}
		}
		if len(in.Clear) > 0 {
			n, err := c.WecomSetting.Delete().Where(wecomsetting.KeyIn(in.Clear...)).Exec(sys)
			if err != nil {
				return err
			}
			if n > 0 {
				cleared = in.Clear
			}
		}
		if len(changed) == 0 && len(cleared) == 0 {
			return nil
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "wecom.settings", EntityType: "wecom_setting", EntityID: 0,
			After: map[string]any{"name": "WeCom settings", "set": nonNil(changed), "cleared": nonNil(cleared), "corp_id": vals["corp_id"],
				"agent_id": vals["agent_id"]}})
	})
	if err != nil {
		return Settings{}, err
	}
	return s.Settings(ctx)
}

func ptr[T any](v T) *T { return &v }
