package client

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestParamsDecoding: /v1/params decodes into wire.Params (a field a newer
// chain adds is ignored, not an error); FeeParams and MaxProof read it.
func TestParamsDecoding(t *testing.T) {
	n := newTestNode(t)
	n.handle("GET /v1/params", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"fee_per_byte": 3, "fee_per_msg": 700, "max_proof_size": 4096, "max_inline_input": 65536,
			"reward_tiers_bp": [5000, 3000, 2000], "unbond_cooldown": -1, "challenge_program": "ab", "a_later_param": 1}`))
	})
	c := n.client()
	p, err := c.Params(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.FeePerByte != 3 || p.FeePerMsg != 700 || p.MaxProofSize != 4096 || p.MaxInlineInput != 65536 ||
		!slices.Equal(p.RewardTiersBP, []uint32{5000, 3000, 2000}) || p.UnbondCooldown != -1 || p.ChallengeProgram != "ab" {
		t.Fatalf("params %+v", p)
	}
	if got := p.MinFee(100, make([]*Msg, 2)); got != 3*100+700*2 { // no fee_per_weight: none charged
		t.Fatalf("MinFee = %d", got)
	}
	fp, err := c.FeeParams(context.Background())
	if err != nil || fp != (FeeParams{FeePerByte: 3, FeePerMsg: 700}) {
		t.Fatalf("FeeParams = %+v %v", fp, err)
	}
	for _, c := range []struct {
		size uint64
		want int
	}{{0, DefaultMaxProof}, {4096, 4096}, {1 << 62, maxDownload}} {
		if got := MaxProof(&wire.Params{MaxProofSize: c.size}); got != c.want {
			t.Errorf("MaxProof(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}

// TestParamsBadJSON: a params answer that is not the document is an error,
// not zero parameters (a zero fee would sign unacceptable transactions).
func TestParamsBadJSON(t *testing.T) {
	n := newTestNode(t)
	n.handle("GET /v1/params", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"fee_per_byte": "one"}`)) })
	if p, err := n.client().Params(context.Background()); err == nil {
		t.Fatalf("decoded %+v", p)
	}
}
