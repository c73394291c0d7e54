package protocol_test

import (
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
)

// TestGnarkProofInvalidMarked (the gnark review, M1): CheckTx marks
// ProofInvalid on a node proof whose bytes failed verification (the
// expensive refusal a node's strike list answers: a refused transaction
// pays nothing), and not on one refused by a cheaper check before it
// (outputs that are not the node's, or proof bytes that do not parse),
// which an honest daemon with a stale view might send.
func TestGnarkProofInvalidMarked(t *testing.T) {
	g := newGnarkTree(t)
	g.mustApply(t, 0, transferMsg(g.f.addrs[1][:], 1<<30))
	p := g.f.env.Params
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight = 1, 100, 1
	env := g.f.env
	env.Params = p
	other, _ := g.baseProof(t, 2, 2) // prover 2's real proof of node 2
	proof1, outputs1 := g.baseProof(t, 1, 2)
	_, outputs2 := g.baseProof(t, 2, 2)
	for _, c := range []struct {
		name           string
		proof, outputs []byte
		invalid        bool
	}{
		{"another prover's proof, the right outputs", other, outputs1, true},
		{"the right proof, another prover's outputs", proof1, outputs2, false},
		{"proof bytes that do not parse", []byte{1, 2, 3}, outputs1, false},
	} {
		raw := signMin(t, p, g.f.keys[1], account(t, g.f.kv, g.f.addrs[1]).Nonce, g.msg(t, 1, 2, nil, nil, c.proof, c.outputs))
		res, err := protocol.CheckTx(g.f.kv, env, raw)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != wire.CodeProofRejected || res.ProofInvalid != c.invalid {
			t.Errorf("%s: %s (%s), proof invalid %v; want proof_rejected, %v", c.name, res.Code, res.Log, res.ProofInvalid, c.invalid)
		}
	}
}
