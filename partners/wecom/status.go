package wecom

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomsync"
)

// Status is the WeCom connection as an administrator sees it: what is
// configured (never a secret's value, only whether it is set) and how
// the last sync went.
type Status struct {
	CorpID  string `json:"corp_id"`
	AgentID string `json:"agent_id"`
	// Which secrets are set.
	AgentSecretSet    bool `json:"agent_secret_set"`
	ContactSecretSet  bool `json:"contact_secret_set"`
	CallbackTokenSet  bool `json:"callback_token_set"`
	CallbackAESKeySet bool `json:"callback_aes_key_set"`
	// SyncConfigured and SignInConfigured say which features can work.
	SyncConfigured   bool `json:"sync_configured"`
	SignInConfigured bool `json:"sign_in_configured"`
	// Contacts counts the WeCom contacts on file (not removed), Unmatched
	// those waiting for a partner.
	Contacts  int `json:"contacts"`
	Unmatched int `json:"unmatched"`
	// LastSync is the latest sync run, nil before the first.
	LastSync *SyncRun `json:"last_sync,omitempty"`
}

// SyncRun is one sync run as shown.
type SyncRun struct {
	ID         int        `json:"id"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Pages      int        `json:"pages"`
	Contacts   int        `json:"contacts"`
	Created    int        `json:"created"`
	Changed    int        `json:"changed"`
	Removed    int        `json:"removed"`
	// Error is why the run stopped, for a run paused or failed.
	Error string `json:"error,omitempty"`
}

// Status returns the connection's configuration and last sync. The
// caller's viewer must be allowed to read the WeCom mirror.
func (s *Service) Status(ctx context.Context) (Status, error) {
	c := s.api.Config()
	st := Status{CorpID: c.CorpID, AgentID: c.AgentID, AgentSecretSet: c.AgentSecret != "", ContactSecretSet: c.ContactSecret != "",
		CallbackTokenSet: c.CallbackToken != "", CallbackAESKeySet: c.CallbackAESKey != "",
		SyncConfigured: c.Configured(), SignInConfigured: c.SignInConfigured()}
	var err error
	if st.Contacts, err = s.db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil()).Count(ctx); err != nil {
		return st, err
	}
	if st.Unmatched, err = s.db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil(), wecomcontact.PartnerIDIsNil()).Count(ctx); err != nil {
		return st, err
	}
	run, err := s.db.WecomSync.Query().Order(ent.Desc(wecomsync.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.LastSync = &SyncRun{ID: run.ID, State: string(run.State), StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, Pages: run.Pages,
		Contacts: run.Contacts, Created: run.Created, Changed: run.Changed, Removed: run.Removed, Error: run.Error}
	return st, nil
}
