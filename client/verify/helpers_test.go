package verify

import (
	"bytes"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// Hand-built headers, after CometBFT's light/helpers_test.go: a chain of
// validator keys signs headers it builds, so a test decides who signed
// what.

const testChain = "verify-test"

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// keys returns n deterministic validator keys, from index from.
func keys(from, n int) []crypto.PrivKey {
	out := make([]crypto.PrivKey, n)
	for i := range out {
		out[i] = ed25519.GenPrivKeyFromSecret([]byte{byte(from + i), 'k'})
	}
	return out
}

func valSet(ks []crypto.PrivKey) *types.ValidatorSet {
	vals := make([]*types.Validator, len(ks))
	for i, k := range ks {
		vals[i] = types.NewValidator(k.PubKey(), 10)
	}
	return types.NewValidatorSet(vals)
}

// block builds the header of height at t0+height seconds, with vals and
// next, signed by the keys in signers (they must be in vals to count).
func block(height int64, vals, next *types.ValidatorSet, signers []crypto.PrivKey, appHash []byte) *lightBlock {
	h := &types.Header{
		Version: cmtversion.Consensus{Block: version.BlockProtocol}, ChainID: testChain, Height: height,
		Time: t0.Add(time.Duration(height) * time.Second), ValidatorsHash: vals.Hash(), NextValidatorsHash: next.Hash(),
		AppHash: appHash, ProposerAddress: vals.Validators[0].Address,
	}
	return &lightBlock{SignedHeader: &types.SignedHeader{Header: h, Commit: sign(h, vals, signers)}, vals: vals}
}

func sign(h *types.Header, vals *types.ValidatorSet, signers []crypto.PrivKey) *types.Commit {
	id := types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: bytes.Repeat([]byte{1}, 32)}}
	sigs := make([]types.CommitSig, vals.Size())
	for i := range sigs {
		sigs[i] = types.NewCommitSigAbsent()
	}
	for _, k := range signers {
		idx, _ := vals.GetByAddress(k.PubKey().Address())
		if idx < 0 {
			continue
		}
		v := &types.Vote{ValidatorAddress: k.PubKey().Address(), ValidatorIndex: idx, Height: h.Height, Round: 1,
			Timestamp: h.Time, Type: types.PrecommitType, BlockID: id}
		sig, err := k.Sign(types.VoteSignBytes(h.ChainID, v.ToProto()))
		if err != nil {
			panic(err)
		}
		v.Signature = sig
		sigs[idx] = v.CommitSig()
	}
	return &types.Commit{Height: h.Height, Round: 1, BlockID: id, Signatures: sigs}
}
