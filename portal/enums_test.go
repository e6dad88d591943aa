package portal

import (
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	entbridge "github.com/tierlink/tierlink/ent/bridge"
	entchangerequest "github.com/tierlink/tierlink/ent/changerequest"
	entcontacttransfer "github.com/tierlink/tierlink/ent/contacttransfer"
	entdelivery "github.com/tierlink/tierlink/ent/delivery"
	entdocument "github.com/tierlink/tierlink/ent/document"
	entdocumentdownload "github.com/tierlink/tierlink/ent/documentdownload"
	entgroup "github.com/tierlink/tierlink/ent/group"
	entjobrun "github.com/tierlink/tierlink/ent/jobrun"
	entorder "github.com/tierlink/tierlink/ent/order"
	entorderline "github.com/tierlink/tierlink/ent/orderline"
	entpartner "github.com/tierlink/tierlink/ent/partner"
	entpost "github.com/tierlink/tierlink/ent/post"
	entscorecardsnapshot "github.com/tierlink/tierlink/ent/scorecardsnapshot"
	entshipment "github.com/tierlink/tierlink/ent/shipment"
	entshipmentevent "github.com/tierlink/tierlink/ent/shipmentevent"
	entuser "github.com/tierlink/tierlink/ent/user"
)

// enumCheck tells whether a value is one of an ent enum's values.
type enumCheck func(string) error

func enumOf[T ~string](validate func(T) error) enumCheck {
	return func(s string) error { return validate(T(s)) }
}

// entEnums are ent's enum types with their generated validators; a field
// of an ent enum type missing here fails TestOneofMatchesEntEnums, so a
// new enum cannot slip past it.
var entEnums = map[reflect.Type]enumCheck{
	reflect.TypeFor[entbridge.Kind]():                  enumOf(entbridge.KindValidator),
	reflect.TypeFor[entchangerequest.State]():          enumOf(entchangerequest.StateValidator),
	reflect.TypeFor[entcontacttransfer.Reason]():       enumOf(entcontacttransfer.ReasonValidator),
	reflect.TypeFor[entcontacttransfer.State]():        enumOf(entcontacttransfer.StateValidator),
	reflect.TypeFor[entdelivery.State]():               enumOf(entdelivery.StateValidator),
	reflect.TypeFor[entdocument.Kind]():                enumOf(entdocument.KindValidator),
	reflect.TypeFor[entdocumentdownload.Via]():         enumOf(entdocumentdownload.ViaValidator),
	reflect.TypeFor[entgroup.Kind]():                   enumOf(entgroup.KindValidator),
	reflect.TypeFor[entjobrun.Outcome]():               enumOf(entjobrun.OutcomeValidator),
	reflect.TypeFor[entjobrun.Trigger]():               enumOf(entjobrun.TriggerValidator),
	reflect.TypeFor[entorder.Direction]():              enumOf(entorder.DirectionValidator),
	reflect.TypeFor[entorder.Status]():                 enumOf(entorder.StatusValidator),
	reflect.TypeFor[entorderline.AckState]():           enumOf(entorderline.AckStateValidator),
	reflect.TypeFor[entpartner.Kind]():                 enumOf(entpartner.KindValidator),
	reflect.TypeFor[entpartner.Status]():               enumOf(entpartner.StatusValidator),
	reflect.TypeFor[entpost.CardState]():               enumOf(entpost.CardStateValidator),
	reflect.TypeFor[entpost.Kind]():                    enumOf(entpost.KindValidator),
	reflect.TypeFor[entscorecardsnapshot.PeriodKind](): enumOf(entscorecardsnapshot.PeriodKindValidator),
	reflect.TypeFor[entshipment.Direction]():           enumOf(entshipment.DirectionValidator),
	reflect.TypeFor[entshipment.Status]():              enumOf(entshipment.StatusValidator),
	reflect.TypeFor[entshipmentevent.Kind]():           enumOf(entshipmentevent.KindValidator),
	reflect.TypeFor[entuser.Role]():                    enumOf(entuser.RoleValidator),
}

// Every field of an API request or response typed with one of ent's enums
// is checked against the schema: each value its oneof tag admits must be
// one the database takes (else validation passes and the insert fails),
// and a request field must carry a oneof tag at all (else any string
// reaches the database).
func TestOneofMatchesEntEnums(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	var fields int
	seen := map[reflect.Type]bool{}
	var walk func(t0 reflect.Type, input bool)
	walk = func(t0 reflect.Type, input bool) {
		for t0 != nil && (t0.Kind() == reflect.Pointer || t0.Kind() == reflect.Slice || t0.Kind() == reflect.Map) {
			t0 = t0.Elem()
		}
		if t0 == nil || t0.Kind() != reflect.Struct || seen[t0] {
			return
		}
		seen[t0] = true
		for i := 0; i < t0.NumField(); i++ {
			f := t0.Field(i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if !strings.HasPrefix(ft.PkgPath(), "github.com/tierlink/tierlink/ent/") || ft.Kind() != reflect.String {
				walk(f.Type, input)
				continue
			}
			fields++
			check, ok := entEnums[ft]
			if !ok {
				t.Errorf("%s.%s is of type %s, which entEnums does not list", t0, f.Name, ft)
				continue
			}
			var oneof []string
			for _, rule := range strings.Split(f.Tag.Get("validate"), ",") {
				if v, ok := strings.CutPrefix(rule, "oneof="); ok {
					oneof = strings.Fields(v)
				}
			}
			if input && oneof == nil && f.Tag.Get("query") != "-" {
				t.Errorf("request field %s.%s of type %s has no oneof tag", t0, f.Name, ft)
			}
			for _, v := range oneof {
				if err := check(v); err != nil {
					t.Errorf("%s.%s admits %q, which %s does not take: %v", t0, f.Name, v, ft, err)
				}
			}
		}
	}
	for _, a := range apiOps(e) {
		walk(reflect.TypeOf(a.o.Query), true)
		walk(reflect.TypeOf(a.o.Body), true)
	}
	clear(seen)
	for _, a := range apiOps(e) {
		walk(reflect.TypeOf(a.o.Resp), false)
	}
	if fields < 20 {
		t.Fatalf("found only %d enum-typed fields in the API types; the walk is broken", fields)
	}
}
