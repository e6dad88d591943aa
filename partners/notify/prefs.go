package notify

import (
	"context"
	"strconv"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/notificationpref"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Prefs are a user's choices, one per kind of notification: immediately
// (the default), digest (in the daily digest at 08:00 their time) or off.
type Prefs PrefsInput

// PrefsInput changes a user's choices; a kind left empty is kept.
type PrefsInput struct {
	OrderAck          string `json:"order_ack" validate:"omitempty,oneof=immediately digest off" doc:"An order to acknowledge."`
	ChangeRequest     string `json:"change_request" validate:"omitempty,oneof=immediately digest off" doc:"A change request to decide."`
	Receipt           string `json:"receipt" validate:"omitempty,oneof=immediately digest off" doc:"A receipt to confirm."`
	ShipmentUpdate    string `json:"shipment_update" validate:"omitempty,oneof=immediately digest off" doc:"A shipment asked for an update."`
	CertificateExpiry string `json:"certificate_expiry" validate:"omitempty,oneof=immediately digest off" doc:"A certificate about to expire."`
	Mention           string `json:"mention" validate:"omitempty,oneof=immediately digest off" doc:"Being mentioned in a group."`
}

// fields are Prefs' fields by kind.
func (p *PrefsInput) fields() map[Kind]*string {
	return map[Kind]*string{notificationpref.KindOrderAck: &p.OrderAck, notificationpref.KindChangeRequest: &p.ChangeRequest,
		notificationpref.KindReceipt: &p.Receipt, notificationpref.KindShipmentUpdate: &p.ShipmentUpdate,
		notificationpref.KindCertificateExpiry: &p.CertificateExpiry, notificationpref.KindMention: &p.Mention}
}

// Get is the mode of kind.
func (p Prefs) Get(k Kind) string {
	in := PrefsInput(p)
	return *in.fields()[k]
}

func me(ctx context.Context) (int, error) {
	v, _ := viewer.FromContext(ctx)
	if v.UserID == 0 {
		return 0, partners.Errorf(partners.EForbidden, "only a signed-in user has notification settings")
	}
	return v.UserID, nil
}

// Prefs are the caller's notification choices.
func (s *Service) Prefs(ctx context.Context) (Prefs, error) {
	uid, err := me(ctx)
	if err != nil {
		return Prefs{}, err
	}
	return s.prefsOf(ctx, uid)
}

func (s *Service) prefsOf(ctx context.Context, uid int) (Prefs, error) {
	rows, err := s.db.NotificationPref.Query().Where(notificationpref.UserID(uid)).All(sysCtx(ctx))
	if err != nil {
		return Prefs{}, err
	}
	var p PrefsInput
	f := p.fields()
	for _, k := range Kinds {
		*f[k] = string(notificationpref.ModeImmediately)
	}
	for _, r := range rows {
		*f[r.Kind] = string(r.Mode)
	}
	return Prefs(p), nil
}

// SetPrefs changes the caller's choices; kinds left empty are kept.
func (s *Service) SetPrefs(ctx context.Context, in PrefsInput) (Prefs, error) {
	if err := partners.Validate(in); err != nil {
		return Prefs{}, err
	}
	uid, err := me(ctx)
	if err != nil {
		return Prefs{}, err
	}
	err = partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		for k, v := range in.fields() {
			if *v == "" {
				continue
			}
			if err := setMode(ctx, tx.Client(), uid, k, Mode(*v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Prefs{}, err
	}
	return s.prefsOf(ctx, uid)
}

func setMode(ctx context.Context, c *ent.Client, uid int, k Kind, m Mode) error {
	return c.NotificationPref.Create().SetUserID(uid).SetKind(k).SetMode(m).
		OnConflictColumns(notificationpref.FieldUserID, notificationpref.FieldKind).UpdateMode().Exec(sysCtx(ctx))
}

// kindAll, in an unsubscribe token, stands for every kind (the digest's
// link).
const kindAll = "all"

// Unsubscription is what an unsubscribe link turns off, for its page.
type Unsubscription struct {
	// Name is whose mail it is (a user's or a contact's name).
	Name string `json:"name"`
	// Kind is the kind turned off; empty for every kind.
	Kind string `json:"kind"`
	// Contact is a contact without a login, who gets order notices only.
	Contact bool `json:"contact"`
}

// Unsubscribed reads an unsubscribe link for its page; it changes
// nothing.
func (s *Service) Unsubscribed(ctx context.Context, tok string) (Unsubscription, error) {
	who, id, kind, err := s.parseUnsub(tok)
	if err != nil {
		return Unsubscription{}, err
	}
	sys := sysCtx(ctx)
	if who == "c" {
		ct, err := s.db.Contact.Query().Where(contact.ID(id)).Only(sys)
		if ent.IsNotFound(err) {
			return Unsubscription{}, badLink()
		}
		if err != nil {
			return Unsubscription{}, err
		}
		return Unsubscription{Name: ct.Name, Kind: kind, Contact: true}, nil
	}
	u, err := s.db.User.Get(sys, id)
	if ent.IsNotFound(err) {
		return Unsubscription{}, badLink()
	}
	if err != nil {
		return Unsubscription{}, err
	}
	if kind == kindAll {
		kind = ""
	}
	return Unsubscription{Name: u.Name, Kind: kind}, nil
}

// Unsubscribe turns off what the link names: the user's kind of
// notification (every kind, for the digest's link), or a contact's order
// notices. It needs no session: the link is the proof (RFC 8058).
func (s *Service) Unsubscribe(ctx context.Context, tok string) (Unsubscription, error) {
	out, err := s.Unsubscribed(ctx, tok)
	if err != nil {
		return out, err
	}
	who, id, kind, _ := s.parseUnsub(tok)
	err = partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		if who == "c" {
			return c.Contact.UpdateOneID(id).SetMailOptOut(true).Exec(sysCtx(ctx))
		}
		kinds := []Kind{Kind(kind)}
		if kind == kindAll {
			kinds = Kinds
		}
		for _, k := range kinds {
			if err := setMode(ctx, c, id, k, notificationpref.ModeOff); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.log.InfoContext(ctx, "unsubscribed by mail link", "who", who, "id", id, "kind", kind)
	}
	return out, err
}

func (s *Service) parseUnsub(tok string) (who string, id int, kind string, err error) {
	if s.out == nil {
		return "", 0, "", badLink()
	}
	f, err := s.out.Keys().Verify("unsub", tok)
	if err != nil || len(f) != 3 || (f[0] != "u" && f[0] != "c") {
		return "", 0, "", badLink()
	}
	id, err = strconv.Atoi(f[1])
	if err != nil {
		return "", 0, "", badLink()
	}
	if f[2] != kindAll && notificationpref.KindValidator(Kind(f[2])) != nil {
		return "", 0, "", badLink()
	}
	return f[0], id, f[2], nil
}

// KindName is a kind's name in the catalogue.
func KindName(k string) i18n.Message { return i18n.M(kindKeys[Kind(k)].name) }
