package accounts_test

import (
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func directoryContact(f *partnerstest.Fixture) directory.ContactInput {
	return directory.ContactInput{PartnerID: f.PartnerA.ID, Name: "Late Comer", Email: "late@a.test", OwnerID: f.Buyer.ID}
}
