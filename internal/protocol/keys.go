package protocol

import (
	"bytes"
	"encoding/binary"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
)

// State layout. Every key starts with a one-word prefix and a slash; numbers
// inside keys are big-endian so that iteration follows numeric order.
var (
	keyParams       = []byte("params")
	keySupply       = []byte("supply")
	keySeed         = []byte("beacon/seed")
	prefixAccount   = []byte("acct/")
	prefixBeacon    = []byte("beacon/h/")
	prefixVRFKey    = []byte("vrfkey/")
	keyChainID      = []byte("chain_id")
	keyGenesisDone  = []byte("genesis")
	prefixProgram   = []byte("program/")
	prefixProver    = []byte("prover/")
	prefixWorkload  = []byte("wl/")
	prefixQueue     = []byte("queue/")     // queue/<height>/<seq>: Runs to allocate at height+1
	prefixTimer     = []byte("timer/")     // timer/<height>/<workload>: look at it then
	prefixSealed    = []byte("sealed/")    // sealed/<workload><sha256 of an age file>: seen once in that workload
	prefixResult    = []byte("result/")    // result/<workload><slot>: the submitted age file
	prefixBallot    = []byte("ballot/")    // ballot/<number>: a verification round's committee and votes (ballot.go)
	keyBallotSeq    = []byte("ballotseq")  // the next ballot number
	keySeq          = []byte("seq")        // counts submissions and queued Runs, in inclusion order
	prefixReinstate = []byte("reinstate/") // reinstate/<height>/<prover>: a suspension ends
	keyFill         = []byte("fill")       // the current run of full blocks (fill.go)
	prefixWait      = []byte("wait/")      // wait/<height>/<seq>: a workload with slots nobody could be allocated since height, drawn for each block
	prefixActive    = []byte("active/")    // active/<address>: an active prover, with what the allocator reads of it (active.go)
	prefixChallenge = []byte("chal/")      // chal/<8-byte position><address>: an active prover, at its place in the random challenges' draw (active.go)
)

// WalkedIndexes are the prefixes of the indexes a block walks far: the
// active provers (every block lists them for its committees), the random
// challenges' draw, and the ask book's two orders (each market Run reads
// up to a few hundred entries). The chain keeps them in memory
// (iavltree.Mirror) so that those walks never go down the IAVL tree; it
// changes no key, value or hash.
func WalkedIndexes() [][]byte {
	return [][]byte{prefixActive, prefixChallenge, prefixBookPrice, prefixBookTime}
}

func accountKey(a address.Address) []byte { return append(append([]byte{}, prefixAccount...), a[:]...) }

func beaconKey(height int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefixBeacon...), uint64(height))
}

func vrfKeyKey(consAddr []byte) []byte {
	return append(append([]byte{}, prefixVRFKey...), consAddr...)
}

// AccountKey is the store key of an account (for proven queries).
func AccountKey(a address.Address) []byte { return accountKey(a) }

// BeaconKey is the store key of the beacon entry at height.
func BeaconKey(height int64) []byte { return beaconKey(height) }

// SupplyKey is the store key of the supply totals.
func SupplyKey() []byte { return append([]byte{}, keySupply...) }

func workloadKey(id []byte) []byte { return append(append([]byte{}, prefixWorkload...), id...) }

func heightPrefix(prefix []byte, h int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefix...), uint64(h))
}

func queueKey(h int64, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(heightPrefix(prefixQueue, h), '/'), seq)
}

func timerKey(h int64, id []byte) []byte {
	return append(append(heightPrefix(prefixTimer, h), '/'), id...)
}

// sealedKey records an age file seen in workload id. The check is per
// workload: a file copied into another workload (a proposer's own Run,
// say) cannot block its victim there, and is worthless where it landed
// (its header names the victim's workload, and the copier cannot reveal).
func sealedKey(id, sum []byte) []byte {
	return append(append(append([]byte{}, prefixSealed...), id...), sum...)
}

// WorkloadKey is the store key of a workload (for proven queries).
func WorkloadKey(id []byte) []byte { return workloadKey(id) }

// WorkloadPrefix is the key prefix of all workloads.
func WorkloadPrefix() []byte { return append([]byte{}, prefixWorkload...) }

func reinstateKey(h int64, a []byte) []byte {
	return append(append(heightPrefix(prefixReinstate, h), '/'), a...)
}

func waitKey(height int64, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(heightPrefix(prefixWait, height), '/'), seq)
}

// waitSince is the height a wait entry was made, from its key.
func waitSince(key []byte) int64 {
	if len(key) < len(prefixWait)+8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(key[len(prefixWait):]))
}

// dueAt returns, in key order, what follows "<prefix><height>/" in the
// keys of a height-indexed set (timers, reinstatements): the entries that
// fall due at height.
func dueAt(r store.Reader, prefix []byte, height int64) ([][]byte, error) {
	p := append(heightPrefix(prefix, height), '/')
	var out [][]byte
	err := r.Iterate(p, store.PrefixEnd(p), func(k, _ []byte) bool {
		out = append(out, bytes.Clone(k[len(p):]))
		return true
	})
	return out, err
}

// issue 16: proof trees (docs/TREES.md). Nothing is written under tree/
// until a ProveTree is.
var (
	prefixTree       = []byte("tree/rec/")   // tree/rec/<id>: a tree and its nodes (pb.Tree)
	prefixTreeInputs = []byte("tree/in/")    // tree/in/<id>: its inputs (pb.TreeInputs)
	prefixTreeProof  = []byte("tree/proof/") // tree/proof/<id><node><seq>: a kept proof's bytes
	prefixTreeTimer  = []byte("tree/timer/") // tree/timer/<height>/<id>: a window of the tree ends then
)

func treeKey(id []byte) []byte       { return append(append([]byte{}, prefixTree...), id...) }
func treeInputsKey(id []byte) []byte { return append(append([]byte{}, prefixTreeInputs...), id...) }

func treeProofKey(id []byte, node, seq uint32) []byte {
	k := append(append([]byte{}, prefixTreeProof...), id...)
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(k, node), seq)
}

func treeTimerKey(h int64, id []byte) []byte {
	return append(append(heightPrefix(prefixTreeTimer, h), '/'), id...)
}

// TreeKey is the store key of a tree (for proven queries).
func TreeKey(id []byte) []byte { return treeKey(id) }

// TreeProofKey is the store key of a kept proof's bytes.
func TreeProofKey(id []byte, node, seq uint32) []byte { return treeProofKey(id, node, seq) }
