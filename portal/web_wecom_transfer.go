package portal

import (
	"context"

	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/wecom"
)

// wecomStates is the WeCom hand-over state of each ledger entry that has
// one, by entry id, for the ledger tables; nil without WeCom.
func (s *Server) wecomStates(ctx context.Context, ts []directory.Transfer) (map[int]*wecom.TransferState, error) {
	out := map[int]*wecom.TransferState{}
	if s.deps.WeComTransfers == nil || len(ts) == 0 {
		return out, nil
	}
	ids := make([]int, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	st, err := s.deps.WeComTransfers.States(ctx, ids)
	for id, v := range st {
		out[id] = &v
	}
	return out, err
}

// wecomFailures lists the hand-overs WeCom refused or will refuse, for
// the supervisor on the transfers page.
func (s *Server) wecomFailures(ctx context.Context) ([]wecom.Failure, error) {
	if s.deps.WeComTransfers == nil {
		return nil, nil
	}
	return s.deps.WeComTransfers.FailuresNamed(ctx, 100)
}
