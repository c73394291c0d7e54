package client

import (
	"context"
	"fmt"

	"github.com/provernet/provernet/wire"
)

// Params returns the chain parameters. Fields a newer chain adds and this
// SDK does not know are ignored.
func (c *Client) Params(ctx context.Context) (*wire.Params, error) {
	var p wire.Params
	if err := c.get(ctx, "/v1/params", &p); err != nil {
		return nil, fmt.Errorf("failed to fetch the chain's parameters: %w", err)
	}
	return &p, nil
}

// FeeParams are the chain's fee parameters, needed to compute the minimum
// fee before signing: per byte, per message and per unit of weight
// (wire.TxWeight, which admission_challenges enters through a Stake).
type FeeParams struct {
	FeePerByte          uint64 `json:"fee_per_byte"`
	FeePerMsg           uint64 `json:"fee_per_msg"`
	FeePerWeight        uint64 `json:"fee_per_weight"`
	AdmissionChallenges uint32 `json:"admission_challenges"`
}

// FeeParamsOf picks the fee parameters out of the chain's parameters.
func FeeParamsOf(p *wire.Params) FeeParams {
	return FeeParams{FeePerByte: p.FeePerByte, FeePerMsg: p.FeePerMsg, FeePerWeight: p.FeePerWeight, AdmissionChallenges: p.AdmissionChallenges}
}

// MinFee is the chain's minimum fee for a transaction of size bytes
// carrying msgs (wire.Params.MinFee).
func (fp FeeParams) MinFee(size int, msgs []*Msg) uint64 {
	p := wire.Params{FeePerByte: fp.FeePerByte, FeePerMsg: fp.FeePerMsg, FeePerWeight: fp.FeePerWeight, AdmissionChallenges: fp.AdmissionChallenges}
	return p.MinFee(size, msgs)
}

// FeeParams fetches the chain's fee parameters.
func (c *Client) FeeParams(ctx context.Context) (FeeParams, error) {
	p, err := c.Params(ctx)
	if err != nil {
		return FeeParams{}, err
	}
	return FeeParamsOf(p), nil
}

// MaxProof is the largest proof the chain lets a prover output
// (max_proof_size; DefaultMaxProof if the chain does not say), at most
// what the client downloads.
func MaxProof(p *wire.Params) int {
	switch {
	case p.MaxProofSize == 0:
		return DefaultMaxProof
	case p.MaxProofSize > maxDownload:
		return maxDownload
	}
	return int(p.MaxProofSize)
}
