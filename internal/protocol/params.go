package protocol

import (
	"errors"
	"fmt"
)

// Params are the chain parameters (PROTOCOL.md 8). They live in genesis and
// in state; nothing in the code base hard-codes their values.
type Params struct {
	// MaxTxBytes caps the encoded size of one transaction.
	MaxTxBytes uint64 `json:"max_tx_bytes"`
	// FeePerByte and FeePerMsg set the minimum fee:
	// fee_per_byte * len(tx) + fee_per_msg * len(messages), in uprv.
	FeePerByte uint64 `json:"fee_per_byte"`
	FeePerMsg  uint64 `json:"fee_per_msg"`
	// MaxProgramSize caps a deployed module (bytes).
	MaxProgramSize uint64 `json:"max_program_size"`
	// MaxProofSize caps the proof a prover may output (bytes).
	MaxProofSize uint64 `json:"max_proof_size"`
	// MaxInlineInput caps an input carried inside a transaction (bytes).
	MaxInlineInput uint64 `json:"max_inline_input"`
}

// DefaultParams are the defaults of PROTOCOL.md 8 for the chain section.
func DefaultParams() Params {
	return Params{
		MaxTxBytes:     1<<20 + 64<<10, // a 1 MiB proof inline plus its envelope
		FeePerByte:     1,
		FeePerMsg:      100,
		MaxProgramSize: 64 << 20,
		MaxProofSize:   1 << 20,
		MaxInlineInput: 64 << 10,
	}
}

// Validate checks that the parameters make a working chain.
func (p Params) Validate() error {
	var errs []error
	if p.MaxTxBytes < 256 {
		errs = append(errs, fmt.Errorf("max_tx_bytes %d is below 256", p.MaxTxBytes))
	}
	if p.MaxProgramSize == 0 || p.MaxProofSize == 0 {
		errs = append(errs, errors.New("max_program_size and max_proof_size must be positive"))
	}
	if p.FeePerByte > 1<<20 || p.FeePerMsg > 1<<40 {
		errs = append(errs, errors.New("fee parameters are absurdly large"))
	}
	return errors.Join(errs...)
}

// MinFee is the smallest fee a transaction of size bytes and msgs messages
// must offer.
func (p Params) MinFee(size, msgs int) uint64 {
	return p.FeePerByte*uint64(size) + p.FeePerMsg*uint64(msgs)
}
