package schema

// The privacy policies of every schema live here, in one file, so that the
// partner boundary can be read and reviewed in one place.

import (
	"entgo.io/ent"
	"github.com/tierlink/tierlink/ent/privacy"
	"github.com/tierlink/tierlink/ent/rule"
)

// systemOnly is the policy of records only the auth layer touches.
func systemOnly() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.AllowIfSystem(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.AllowIfSystem(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the Session.
func (Session) Policy() ent.Policy { return systemOnly() }

// Policy of the APIToken: everyone manages their own; admins see all.
func (APIToken) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.OwnUserOnCreate(), rule.FilterOwnUserID(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.FilterOwnUserID(), rule.AllowAuthenticated(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the Invitation.
func (Invitation) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowEditorMutation(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the LoginThrottle.
func (LoginThrottle) Policy() ent.Policy { return systemOnly() }

// Policy of the AuditEntry: written once, never changed or removed, and
// read only by staff.
func (AuditEntry) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowAuthenticated(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the Contact.
func (Contact) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowEditorMutation(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterPartnerField(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the Partner.
func (Partner) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowEditorMutation(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterOwnPartner(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the ContactTransfer: the ledger is append-only; only the state
// of a pending entry moves on, and nothing is ever deleted.
func (ContactTransfer) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpDelete|ent.OpDeleteOne),
			rule.DenyPartner(),
			rule.AllowEditorMutation(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.DenyPartner(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the User.
func (User) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowAdminMutation(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterUserRows(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// documentPolicy lets staff editors manage documents, and partner users
// read and add documents and versions of their own partner only.
func documentPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowEditorMutation(),
			rule.PartnerOwnRows(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterPartnerField(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the Document.
func (Document) Policy() ent.Policy { return documentPolicy() }

// Policy of the DocumentVersion.
func (DocumentVersion) Policy() ent.Policy { return documentPolicy() }

// Policy of the DocumentDownload: written by the system when a download
// is handed out; read by staff only.
func (DocumentDownload) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpUpdate|ent.OpUpdateOne),
			rule.AllowIfSystem(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// orderPolicy keeps orders with staff: partner users read their own
// partner's published orders and update them only through answering
// (the privacy filter pins updates to their partner); they never create
// or delete orders.
func orderPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowEditorMutation(),
			privacy.OnMutationOperation(rule.PartnerOwnRows(), ent.OpUpdate|ent.OpUpdateOne),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterPartnerField(),
			rule.FilterPublishedOrders(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the Order.
func (Order) Policy() ent.Policy { return orderPolicy() }

// Policy of the OrderLine.
func (OrderLine) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: orderPolicy().(privacy.Policy).Mutation,
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterPartnerField(),
			rule.FilterLinesOfPublishedOrders(),
			rule.AllowPartnerQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the OrderRevision: written by staff decisions, read by the
// partner concerned.
func (OrderRevision) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.AllowEditorMutation(), privacy.AlwaysDenyRule()},
		Query:    documentPolicy().(privacy.Policy).Query,
	}
}

// Policy of the Acknowledgement.
func (Acknowledgement) Policy() ent.Policy { return documentPolicy() }

// Policy of the ChangeRequest.
func (ChangeRequest) Policy() ent.Policy { return documentPolicy() }

// Policy of the DomainEvent: appended with the change it describes, by
// whoever made the change; never changed; partner users read their own.
func (DomainEvent) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowAuthenticated(),
			privacy.AlwaysDenyRule(),
		},
		Query: documentPolicy().(privacy.Policy).Query,
	}
}

// Policy of the Shipment: partner users post and update their own
// partner's shipments; a logistics partner also sees and updates the
// shipments it carries; staff editors manage all.
func (Shipment) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowEditorMutation(),
			privacy.OnMutationOperation(rule.PartnerOrCarrierRows(), ent.OpUpdate|ent.OpUpdateOne),
			privacy.OnMutationOperation(rule.PartnerOwnRows(), ent.OpCreate),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.PartnerOrCarrierRows(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the ShipmentLine.
func (ShipmentLine) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: documentPolicy().(privacy.Policy).Mutation,
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.PartnerOrCarrierChildRows(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the ShipmentEvent: the carrier may add movements to the
// shipments it carries.
func (ShipmentEvent) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowEditorMutation(),
			rule.AllowCarrierEvent(),
			rule.PartnerOwnRows(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.PartnerOrCarrierChildRows(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the IdempotencyKey: handled by the transport as the system.
func (IdempotencyKey) Policy() ent.Policy { return systemOnly() }

// groupPolicy lets staff read every group and editors run them; a
// partner user reads only the groups its contact belongs to, with their
// members and posts, and changes nothing but its own messages.
func groupPolicy(path ...string) ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowEditorMutation(),
			rule.AllowMemberMessage(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			rule.FilterGroupMember(path...),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the Group.
func (Group) Policy() ent.Policy { return groupPolicy() }

// Policy of the GroupMember.
func (GroupMember) Policy() ent.Policy { return groupPolicy("group") }

// Policy of the Post.
func (Post) Policy() ent.Policy { return groupPolicy("group") }

// bridgePolicy keeps bridges and their outbox with staff: their URLs and
// secrets are credentials of the company's chat accounts.
func bridgePolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.AllowEditorMutation(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the Bridge.
func (Bridge) Policy() ent.Policy { return bridgePolicy() }

// Policy of the Delivery.
func (Delivery) Policy() ent.Policy { return bridgePolicy() }

// jobPolicy lets staff read the run ledger; only the scheduler, acting
// as the system, writes it.
func jobPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.AllowIfSystem(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the JobRun.
func (JobRun) Policy() ent.Policy { return jobPolicy() }

// Policy of the JobState.
func (JobState) Policy() ent.Policy { return jobPolicy() }

// Policy of the Notice.
func (Notice) Policy() ent.Policy { return systemOnly() }

// Policy of the ScorecardSnapshot: staff read every partner's, a partner
// user its own; only the system writes them.
func (ScorecardSnapshot) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.AllowIfSystem(), privacy.AlwaysDenyRule()},
		Query: privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.AllowStaffQuery(), rule.FilterPartnerField(),
			rule.AllowPartnerQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the WecomToken: only the WeCom client, as the system, reads
// and writes access tokens.
func (WecomToken) Policy() ent.Policy { return systemOnly() }

// wecomPolicy is the policy of the WeCom mirror tables: staff read them,
// editors and the sync change them, nothing is deleted, and partner users
// never see them.
func wecomPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			rule.DenyIfNoViewer(),
			privacy.OnMutationOperation(privacy.AlwaysDenyRule(), ent.OpDelete|ent.OpDeleteOne),
			rule.DenyPartner(),
			rule.AllowEditorMutation(),
			privacy.AlwaysDenyRule(),
		},
		Query: privacy.QueryPolicy{
			rule.DenyIfNoViewer(),
			rule.DenyPartner(),
			rule.AllowIfSystem(),
			rule.AllowStaffQuery(),
			privacy.AlwaysDenyRule(),
		},
	}
}

// Policy of the WecomContact.
func (WecomContact) Policy() ent.Policy { return wecomPolicy() }

// Policy of the WecomFollow.
func (WecomFollow) Policy() ent.Policy { return wecomPolicy() }

// Policy of the WecomSync.
func (WecomSync) Policy() ent.Policy { return wecomPolicy() }

// Policy of the WecomCorpMapping: a mapping may be removed by an editor.
func (WecomCorpMapping) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowEditorMutation(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the WecomEvent: the callback endpoint stores events and the
// event worker applies them, both as the system.
func (WecomEvent) Policy() ent.Policy { return systemOnly() }

// Policy of the WecomLease: only the event worker, as the system.
func (WecomLease) Policy() ent.Policy { return systemOnly() }

// mailPolicy keeps the mail outbox and the inbound record with staff
// (admins act on them through the mail service); only the dispatcher and
// the listener, as the system, write them.
func mailPolicy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.AllowAdminMutation(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.DenyPartner(), rule.AllowIfSystem(), rule.AllowStaffQuery(), privacy.AlwaysDenyRule()},
	}
}

// Policy of the MailOutbox.
func (MailOutbox) Policy() ent.Policy { return mailPolicy() }

// Policy of the MailInbound.
func (MailInbound) Policy() ent.Policy { return mailPolicy() }

// Policy of the MailSetting: its signing key is read only by the system.
func (MailSetting) Policy() ent.Policy { return systemOnly() }

// Policy of the PasswordReset.
func (PasswordReset) Policy() ent.Policy { return systemOnly() }

// Policy of the EmailChange.
func (EmailChange) Policy() ent.Policy { return systemOnly() }

// Policy of the DigestItem.
func (DigestItem) Policy() ent.Policy { return systemOnly() }

// Policy of the NotificationPref: each user reads and sets their own.
func (NotificationPref) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.OwnUserOnCreate(), rule.FilterOwnUserID(), privacy.AlwaysDenyRule()},
		Query:    privacy.QueryPolicy{rule.DenyIfNoViewer(), rule.AllowIfSystem(), rule.FilterOwnUserID(), rule.AllowAuthenticated(), privacy.AlwaysDenyRule()},
	}
}
