package zkhost

import (
	"bytes"
	"encoding/binary"

	"github.com/consensys/gnark/backend/witness"

	"github.com/provernet/provernet/sdk/zkabi"
)

// witnessHeaderLen is gnark's witness.MarshalBinary header: nbPublic,
// nbSecret and the vector length, each a big-endian uint32.
const witnessHeaderLen = 12

// validateWitness checks a witness in gnark's witness.MarshalBinary
// format,
//
//	nbPublic uint32 | nbSecret uint32 | n uint32 | n scalars (big-endian)
//
// for exactly public public and secret secret elements (n their sum, no
// trailing bytes) and every scalar canonical (less than the modulus), so
// that gnark's decoder neither allocates by a length it has not seen nor
// rejects late. Errors carry status (ErrWitness for a prover's witness,
// ErrProof for a verifier's public witness).
func validateWitness(data []byte, curve zkabi.Curve, public, secret int, status zkabi.Status) error {
	ci, ok := curves[curve]
	if !ok {
		return Errorf(zkabi.ErrInternal, "witness: unknown curve %s", curve)
	}
	if err := tooLarge("witness", len(data), maxWitnessBytes); err != nil {
		return err
	}
	if len(data) < witnessHeaderLen {
		return Errorf(status, "witness: %d bytes, shorter than its header", len(data))
	}
	nbPublic := uint64(binary.BigEndian.Uint32(data[0:4]))
	nbSecret := uint64(binary.BigEndian.Uint32(data[4:8]))
	n := uint64(binary.BigEndian.Uint32(data[8:12]))
	if nbPublic != uint64(public) || nbSecret != uint64(secret) {
		return Errorf(status, "witness has %d public and %d secret elements, want %d and %d", nbPublic, nbSecret, public, secret)
	}
	if n != nbPublic+nbSecret {
		return Errorf(status, "witness vector of %d elements, header says %d+%d", n, nbPublic, nbSecret)
	}
	body := data[witnessHeaderLen:]
	if uint64(len(body)) != n*uint64(ci.frBytes) {
		return Errorf(status, "witness of %d elements takes %d bytes, got %d", n, n*uint64(ci.frBytes), len(body))
	}
	modulus := ci.r.FillBytes(make([]byte, ci.frBytes))
	for i := 0; i < len(body); i += ci.frBytes {
		if bytes.Compare(body[i:i+ci.frBytes], modulus) >= 0 {
			return Errorf(status, "witness element %d is not less than the modulus", i/ci.frBytes)
		}
	}
	return nil
}

// decodeWitness validates and decodes a witness.
func decodeWitness(ci *curveInfo, data []byte, public, secret int, status zkabi.Status) (witness.Witness, error) {
	if err := validateWitness(data, ci.zk, public, secret, status); err != nil {
		return nil, err
	}
	w, err := witness.New(ci.r)
	if err != nil {
		return nil, Errorf(zkabi.ErrInternal, "witness: %w", err)
	}
	err = protect(status, "witness", func() error { return w.UnmarshalBinary(data) })
	if err != nil {
		return nil, wrapStatus(status, "witness", err)
	}
	return w, nil
}
