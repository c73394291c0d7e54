package wire

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/provernet/provernet/wire/address"
)

// Domain separators of the id hashes: each id is SHA-256 over its domain
// and its fields, so no id can equal another kind of hash.
const (
	workloadDomain  = "provernet/workload/v1"
	programIDPrefix = "provernet/program/v1"
)

// WorkloadID names the Run that is message index of the transaction with
// sender and nonce: unique, and known to the sender before it sends.
func WorkloadID(sender address.Address, nonce uint64, index int) []byte {
	h := sha256.New()
	h.Write([]byte(workloadDomain))
	h.Write(sender[:])
	_ = binary.Write(h, binary.BigEndian, nonce)
	_ = binary.Write(h, binary.BigEndian, uint32(index))
	return h.Sum(nil)
}

// ProgramID names a proof system by its two modules' SHA-256 hashes (the
// prover may be absent). The same pair always has the same id.
func ProgramID(prover, verifier []byte) []byte {
	h := sha256.New()
	h.Write([]byte(programIDPrefix))
	h.Write(padHash(prover))
	h.Write(padHash(verifier))
	return h.Sum(nil)
}

func padHash(b []byte) []byte {
	if len(b) == 0 {
		return make([]byte, sha256.Size)
	}
	return b
}
