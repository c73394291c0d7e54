package verify

import (
	"bytes"
	"fmt"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/wire"
)

// lightBlock is a decoded, self-consistent (not yet verified) signed
// header and the validator set that signed it.
type lightBlock struct {
	*types.SignedHeader
	vals *types.ValidatorSet
}

// decodeLightBlock decodes a /v1/light answer and checks it is internally
// consistent: the header of the height asked (want; 0: any), the commit
// for that header, the validator set its header names. Whether anyone
// trustworthy signed it is verifyHeader's question.
func decodeLightBlock(lb *wire.LightBlock, want int64) (b *lightBlock, err error) {
	defer recoverAs(&err, ErrHeader)
	if lb == nil {
		return nil, fmt.Errorf("%w: no light block", ErrHeader)
	}
	var sh types.SignedHeader
	if err := cmtjson.Unmarshal(lb.SignedHeader, &sh); err != nil {
		return nil, fmt.Errorf("%w: the signed header does not decode: %v", ErrHeader, err)
	}
	if sh.Header == nil || sh.Commit == nil {
		return nil, fmt.Errorf("%w: the signed header lacks its header or commit", ErrHeader)
	}
	if err := sh.ValidateBasic(sh.ChainID); err != nil {
		return nil, fmt.Errorf("%w: signed header %d: %v", ErrHeader, sh.Height, err)
	}
	if want > 0 && sh.Height != want {
		return nil, fmt.Errorf("%w: asked for the header of height %d, got %d", ErrHeader, want, sh.Height)
	}
	var vs types.ValidatorSet
	if err := cmtjson.Unmarshal(lb.ValidatorSet, &vs); err != nil {
		return nil, fmt.Errorf("%w: the validator set does not decode: %v", ErrHeader, err)
	}
	// Rebuilt from the validators alone: their order, powers and keys are
	// what the header's hash binds; the proposer and priorities are not.
	vals, err := types.ValidatorSetFromExistingValidators(vs.Validators)
	if err != nil {
		return nil, fmt.Errorf("%w: validator set of height %d: %v", ErrHeader, sh.Height, err)
	}
	if !bytes.Equal(vals.Hash(), sh.ValidatorsHash) {
		return nil, fmt.Errorf("%w: the validator set sent for height %d hashes to %X, its header names %X",
			ErrHeader, sh.Height, vals.Hash(), sh.ValidatorsHash)
	}
	return &lightBlock{SignedHeader: &sh, vals: vals}, nil
}

// recoverAs turns a panic below (in a decoder or a check fed the node's
// bytes) into an error wrapping sentinel.
func recoverAs(err *error, sentinel error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: malformed input: %v", sentinel, r)
	}
}
