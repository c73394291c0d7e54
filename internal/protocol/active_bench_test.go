package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// BenchmarkBeginBlock measures the chain's own work at the start of a
// block that allocates one Run, with challenges on (challenge_interval
// 500), 10,000 active provers and some number of provers that left
// (exited or removed): with the active index, what they cost should not
// grow with the provers that left. Run: go test ./internal/protocol -run
// '^$' -bench BeginBlock -benchtime 20x.
func BenchmarkBeginBlock(b *testing.B) {
	for _, gone := range []int{0, 50_000} {
		b.Run(fmt.Sprintf("active=10000/gone=%d", gone), func(b *testing.B) {
			tree, env, user := beginBlockWorld(b, 10_000, gone)
			prog, err := challengeProgram(tree.Working(), env.Params)
			if err != nil || prog == nil {
				b.Fatalf("no challenge program: %v", err)
			}
			id, err := age.GenerateX25519Identity()
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				kv := store.NewCache(tree.Working())
				seed := sha256.Sum256(fmt.Appendf(nil, "bench seed %d", i))
				i++
				if err := kv.Set(keySeed, seed[:]); err != nil {
					b.Fatal(err)
				}
				res, err := run(kv, env, user, &pb.Run{Program: prog.Id, Cycles: 1_000_000_000, Provers: 3, Deadline: env.Params.MaxDeadline, Recipient: id.Recipient().String()})
				if err != nil || !res.OK() {
					b.Fatalf("run: %v %v", res, err)
				}
				next := env
				next.Height++
				if _, _, err := BeginBlock(kv, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// beginBlockWorld is a committed state with the benchmark program as
// challenge program, active provers and provers that left, and a user
// able to pay for a Run.
func beginBlockWorld(b *testing.B, active, gone int) (*iavltree.Tree, Env, address.Address) {
	b.Helper()
	pv, vf := sha256.Sum256([]byte("prover module")), sha256.Sum256([]byte("verifier module"))
	prog := GenesisProgram{Name: "bench", Prover: &GenesisModule{SHA256: pv[:], Size: 10},
		Verifier: &GenesisModule{SHA256: vf[:], Size: 10}, MinHardware: &GenesisHardware{CPUCores: 1, MemoryMB: 1024}}
	g := &Genesis{Params: DefaultParams(), BeaconSeed: make([]byte, 32), Programs: []GenesisProgram{prog},
		Validators: []GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
	g.Params.ChallengeProgram = hex.EncodeToString(prog.ID())
	user := address.Address{0xee}
	g.Accounts = []GenesisAccount{{Address: user, Balance: 1 << 50}}
	tree := iavltree.OpenMemory()
	kv := tree.Working()
	if err := InitGenesis(kv, "bench", g); err != nil {
		b.Fatal(err)
	}
	states := []pb.ProverState{pb.ProverState_PROVER_STATE_EXITED, pb.ProverState_PROVER_STATE_REMOVED}
	for i := range active + gone {
		sum := sha256.Sum256(fmt.Appendf(nil, "bench prover %d", i))
		p := &pb.Prover{Address: sum[:20], VrfPublicKey: make([]byte, 32), MaxConcurrent: 8, BlobEndpoint: "https://prover.example:8443",
			Hardware: &pb.Hardware{CpuCores: 16, MemoryMb: 65536, DiskGb: 500}, State: pb.ProverState_PROVER_STATE_ACTIVE,
			Stake: g.Params.MinProverStake, RegisteredHeight: 1}
		if i >= active {
			p.State, p.Stake = states[i%2], 0
		}
		if err := setProver(kv, p); err != nil {
			b.Fatal(err)
		}
	}
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	return tree, Env{ChainID: "bench", Height: 2, Params: g.Params}, user
}
