package sha256tree

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// NodeResultHeader is the size of a node result's length prefix.
const NodeResultHeader = 4

// EncodeNodeResult is what a tree prover writes to /out/proof: a 4-byte
// big-endian length L, the public outputs (L bytes), then the proof bytes
// (the rest).
func EncodeNodeResult(outputs, proof []byte) []byte {
	b := make([]byte, 0, NodeResultHeader+len(outputs)+len(proof))
	b = binary.BigEndian.AppendUint32(b, uint32(len(outputs)))
	return append(append(b, outputs...), proof...)
}

// DecodeNodeResult splits a node result into its outputs and proof (both
// alias b). It checks the framing only: that the outputs begin with the
// prover's address is the verifier's check.
func DecodeNodeResult(b []byte) (outputs, proof []byte, err error) {
	if len(b) < NodeResultHeader {
		return nil, nil, errors.New("node result: " + strconv.Itoa(len(b)) + " bytes, shorter than its length prefix")
	}
	n := uint64(binary.BigEndian.Uint32(b))
	if n > uint64(len(b)-NodeResultHeader) {
		return nil, nil, errors.New("node result: outputs of " + strconv.FormatUint(n, 10) + " bytes run past its end")
	}
	rest := b[NodeResultHeader:]
	return rest[:n:n], rest[n:], nil
}
