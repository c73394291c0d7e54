package mimcchain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
)

// MaxProofSize bounds the proof section of a container: far above any
// gnark proof of this circuit, far below the network's 1 MiB.
const MaxProofSize = 16 << 10

// EncodeProof builds the proof file:
//
//	Magic                           8 bytes
//	uint32 big-endian len(P)        4 bytes
//	P: the proof, gnark's Proof.WriteTo (compressed points)
//	uint32 big-endian len(W)        4 bytes
//	W: the public witness, gnark's witness.MarshalBinary
//	   (uint32 nbPublic=1 | uint32 nbSecret=0 | uint32 len=1 | y)
//
// and nothing after it.
func (s *Spec) EncodeProof(proof, public []byte) []byte {
	out := make([]byte, 0, len(s.Magic)+8+len(proof)+len(public))
	out = append(out, s.Magic...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(proof)))
	out = append(out, proof...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(public)))
	out = append(out, public...)
	return out
}

// Proof is a decoded container. Proof and Public alias the file.
type Proof struct {
	Proof  []byte  // gnark's binary proof, shape-checked by CheckProof
	Public []byte  // the public witness, exactly one element
	Y      Element // that element
}

// DecodeProof parses a proof file strictly: magic, both lengths within the
// bytes present, nothing after, a proof of the right shape, a public
// witness of exactly one reduced element. Every error means the proof is
// invalid.
func (s *Spec) DecodeProof(data []byte) (Proof, error) {
	rest, ok := bytes.CutPrefix(data, []byte(s.Magic))
	if !ok {
		return Proof{}, errors.New("proof: bad magic")
	}
	p, rest, err := cutSection(rest)
	if err != nil {
		return Proof{}, progcore.Wrap("proof", err)
	}
	w, rest, err := cutSection(rest)
	if err != nil {
		return Proof{}, progcore.Wrap("public witness", err)
	}
	if len(rest) != 0 {
		return Proof{}, errors.New("proof: " + strconv.Itoa(len(rest)) + " trailing bytes")
	}
	if len(p) == 0 || len(p) > MaxProofSize {
		return Proof{}, errors.New("proof: " + strconv.Itoa(len(p)) + " bytes")
	}
	if s.CheckProof != nil {
		if err := s.CheckProof(p); err != nil {
			// Not wrapped: whatever CheckProof returns, a bad proof is
			// invalid (1), never malformed input (2).
			return Proof{}, errors.New("proof: " + err.Error())
		}
	}
	y, err := s.PublicY(w)
	if err != nil {
		return Proof{}, err
	}
	return Proof{Proof: p, Public: w, Y: y}, nil
}

func cutSection(b []byte) (section, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, errors.New("truncated length")
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, errors.New("length " + strconv.FormatUint(uint64(n), 10) + " exceeds the " + strconv.Itoa(len(b)) + " bytes left")
	}
	return b[:n], b[n:], nil
}
