package wire

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/provernet/provernet/wire/address"
)

// Proof trees (issue 16, docs/TREES.md): the ids, the VRF input and the
// fast hash-based program pair, shared by the chain and its clients.
//
// The hash pair PROVES NOTHING: its "proof" is empty and its commitment a
// hash any machine computes in microseconds. It exists so the tree
// protocol (scores, keeping, roots, rewards, step-in, copy protection)
// runs and is tested with a verification the chain does natively; a real
// proof system plugs in behind the same public outputs (docs/TREES.md,
// "Verification").

const (
	treeDomain       = "provernet/tree/v1"
	treeVRFDomain    = "provernet/tree/vrf/v1"
	hashBaseDomain   = "provernet/tree/hash-base/v1"
	hashMergeDomain  = "provernet/tree/hash-merge/v1"
	gnarkBaseDomain  = "provernet/tree/gnark-base/v1"
	gnarkMergeDomain = "provernet/tree/gnark-merge/v1"
)

// TreeHashBaseProgram and TreeHashMergeProgram are the ids of the hash
// pair: built into the chain, never deployed.
var (
	TreeHashBaseProgram  = builtinID(hashBaseDomain)
	TreeHashMergeProgram = builtinID(hashMergeDomain)
)

// TreeGnarkPrograms are the ids of the gnark pair (docs/TREES.md, "The
// gnark pair") whose verifying keys are baseVK and mergeVKs (levels 1..L),
// as a chain's params name them: built into the chain, never deployed,
// and naming the keys, so a tree names exactly the keys its proofs verify
// under.
func TreeGnarkPrograms(baseVK []byte, mergeVKs [][]byte) (base, merge []byte) {
	b := sha256.Sum256(baseVK)
	base = builtinID(gnarkBaseDomain + "\x00" + string(b[:]))
	m := gnarkMergeDomain + "\x00"
	for _, vk := range mergeVKs {
		h := sha256.Sum256(vk)
		m += string(h[:])
	}
	return base, builtinID(m)
}

func builtinID(domain string) []byte {
	h := sha256.Sum256([]byte("provernet/builtin-program/v1\x00" + domain))
	return h[:]
}

// TreeID names the ProveTree that is message index of the transaction
// with sender and nonce.
func TreeID(sender address.Address, nonce uint64, index int) []byte {
	h := sha256.New()
	h.Write([]byte(treeDomain))
	h.Write(sender[:])
	_ = binary.Write(h, binary.BigEndian, nonce)
	_ = binary.Write(h, binary.BigEndian, uint32(index))
	return h.Sum(nil)
}

// TreeVRFInput is alpha of a prover's VRF for a node: a domain, the
// tree's seed, the tree id, the node (4 bytes, big-endian) and the
// prover's address. The address makes a VRF proof good for its prover
// only: registered VRF keys need not be unique and ECVRF proofs are
// deterministic and public, so without it a prover that registered
// another's public key could replay that prover's proof, at that
// prover's score plus any fee_burn (docs/TREES.md, "Scores").
func TreeVRFInput(seed, tree []byte, node uint32, prover address.Address) []byte {
	out := append([]byte(treeVRFDomain), seed...)
	out = append(out, tree...)
	out = binary.BigEndian.AppendUint32(out, node)
	return append(out, prover[:]...)
}

// TreeVRFValue is the part of a VRF output beta that scores use: its
// first 4 bytes, big-endian. 32 bits rank provers as well as 64 (a tie
// between two provers has odds 2^-32) and keep every score, times at
// most 20000, and every sum of a tree's scores well inside a uint64.
func TreeVRFValue(beta []byte) uint64 {
	if len(beta) < 4 {
		return 0
	}
	return uint64(binary.BigEndian.Uint32(beta))
}

// TreeScore is a proof's score: the VRF value times (10000 +
// fee_burn_bp), the integer form of VRF_OUTPUT * (1 + FEE_BURN).
func TreeScore(vrfValue uint64, feeBurnBP uint32) uint64 {
	return vrfValue * (10000 + uint64(feeBurnBP))
}

// TreeHashBaseOutputs are the public outputs of the hash pair's base
// program for prover on two inputs named by their SHA-256 hashes: the
// prover's address, then SHA-256(domain || prover || a || b).
func TreeHashBaseOutputs(prover address.Address, a, b []byte) []byte {
	h := sha256.New()
	h.Write([]byte(hashBaseDomain))
	h.Write(prover[:])
	h.Write(a)
	h.Write(b)
	return append(append([]byte{}, prover[:]...), h.Sum(nil)...)
}

// TreeHashMergeOutputs are the public outputs of the hash pair's merge
// program for prover over the outputs of the child proofs it names: the
// prover's address, then SHA-256(domain || prover || count || left
// outputs || count || right outputs), each count one byte and each
// output length-prefixed (2 bytes).
func TreeHashMergeOutputs(prover address.Address, left, right [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(hashMergeDomain))
	h.Write(prover[:])
	for _, side := range [][][]byte{left, right} {
		h.Write([]byte{byte(len(side))})
		for _, o := range side {
			h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(o))))
			h.Write(o)
		}
	}
	return append(append([]byte{}, prover[:]...), h.Sum(nil)...)
}

// TreeInputHash is what the hash pair commits to for one input: the
// SHA-256 of its bytes (inline), or the blob's hash.
func TreeInputHash(data, blob []byte) []byte {
	if len(blob) != 0 {
		return blob
	}
	h := sha256.Sum256(data)
	return h[:]
}
