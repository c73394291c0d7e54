package httpapi

import (
	"net/http"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

func (s *server) prover(w http.ResponseWriter, r *http.Request) {
	addr, err := address.Parse(r.PathValue("address"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error(), "addresses look like prv1...")
		return
	}
	if answeredProven(w, r, func(height int64) { s.provenProver(w, r, addr, height) }) {
		return
	}
	p, resp, ok := queryAs[pb.Prover](s, w, r, chain.PathProver, addr[:])
	if !ok {
		return
	}
	out := ProverOf(p)
	out.Reputation = s.reputationAt(r, addr, resp.Height) // issue 17
	reply(w, out)
}

// ProverOf converts a stored prover to the API's form (record.Prover,
// which the client's proof checker shares).
func ProverOf(p *pb.Prover) wire.Prover { return record.Prover(p) }
