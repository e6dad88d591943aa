package shipments_test

import "github.com/tierlink/tierlink/partners/directory"

func directoryPatch(pct int) directory.PartnerPatch {
	return directory.PartnerPatch{OverDeliveryPct: &pct}
}
