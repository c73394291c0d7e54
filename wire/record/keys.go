package record

import "github.com/provernet/provernet/wire/address"

// Prefixes of the state keys of the proven records (the chain's layout,
// see internal/protocol/keys.go).
const (
	accountPrefix  = "acct/"
	proverPrefix   = "prover/"
	workloadPrefix = "wl/"
)

// AccountKey is the state key of an account's record (a pb.Account).
func AccountKey(a address.Address) []byte { return append([]byte(accountPrefix), a[:]...) }

// ProverKey is the state key of a prover's record (a pb.Prover).
func ProverKey(a address.Address) []byte { return append([]byte(proverPrefix), a[:]...) }

// WorkloadKey is the state key of a workload's record (a pb.Workload),
// by its 32-byte id.
func WorkloadKey(id []byte) []byte { return append([]byte(workloadPrefix), id...) }
