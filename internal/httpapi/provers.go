package httpapi

import (
	"encoding/hex"
	"net/http"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

func (s *server) prover(w http.ResponseWriter, r *http.Request) {
	addr, err := address.Parse(r.PathValue("address"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error(), "addresses look like prv1...")
		return
	}
	p, _, ok := queryAs[pb.Prover](s, w, r, chain.PathProver, addr[:])
	if !ok {
		return
	}
	reply(w, ProverOf(p))
}

// ProverOf converts a stored prover to the API's form.
func ProverOf(p *pb.Prover) wire.Prover {
	out := wire.Prover{State: protocol.StateName(p.State), Stake: p.Stake, MaxConcurrent: p.MaxConcurrent,
		BlobEndpoint: p.BlobEndpoint, VRFPublicKey: hex.EncodeToString(p.VrfPublicKey),
		RegisteredHeight: p.RegisteredHeight, UnbondHeight: p.UnbondHeight, Hardware: hardwareOf(p.Hardware),
		Reason: p.RemovedReason, SuspendedUntil: p.SuspendedUntil, Misses: p.Declines, Suspensions: p.Suspensions,
		Slashed: p.Slashed, ProofsFinal: p.ProofsFinal, VotesPaid: p.VotesPaid, WrongVotes: p.WrongVotes, Absences: p.Absences}
	if a, err := address.FromBytes(p.Address); err == nil {
		out.Address = a.String()
	}
	return out
}
