package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

func deployMsg(name string, prover, verifier *pb.Module) *pb.Msg {
	return &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: name, Prover: prover, Verifier: verifier,
		MinHardware: &pb.Hardware{CpuCores: 2, MemoryMb: 2048}}}}
}

func module(b byte, size uint64) *pb.Module {
	sum := sha256.Sum256([]byte{b})
	return &pb.Module{Sha256: sum[:], Size: size}
}

func TestDeploy(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1_000_000)
	prover, verifier := module(1, 1000), module(2, 500)

	res := deliver(t, f, signMin(t, p, f.keys[0], 0, deployMsg("groth16-mimc", prover, verifier)))
	if !res.OK() {
		t.Fatalf("deploy rejected: %d %s", res.Code, res.Log)
	}
	id := wire.ProgramID(prover.Sha256, verifier.Sha256)
	got, err := protocol.GetProgram(f.kv, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "groth16-mimc" || !bytes.Equal(got.Owner, f.addrs[0][:]) || got.Verifier.Size != 500 ||
		got.MinHardware.MemoryMb != 2048 || got.Height != f.env.Height {
		t.Fatalf("stored program %v", got)
	}
	if res := deliver(t, f, signMin(t, p, f.keys[0], 1, deployMsg("again", prover, verifier))); res.Code != wire.CodeAlreadyExists {
		t.Fatalf("second deploy of the same modules: %d %s", res.Code, res.Log)
	}
	// A verifier alone is a different program.
	if res := deliver(t, f, signMin(t, p, f.keys[0], 2, deployMsg("verify-only", nil, verifier))); !res.OK() {
		t.Fatalf("verifier-only deploy: %d %s", res.Code, res.Log)
	}
	if _, err := protocol.GetProgram(f.kv, wire.ProgramID(nil, verifier.Sha256)); err != nil {
		t.Fatal(err)
	}
	if _, err := protocol.GetProgram(f.kv, wire.ProgramID(nil, prover.Sha256)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown program: %v", err)
	}
	mustSupply(t, f.kv)
}

func TestDeployRejections(t *testing.T) {
	p := protocol.DefaultParams()
	ok := module(1, 10)
	cases := map[string]*pb.Msg{
		"no verifier":     deployMsg("x", ok, nil),
		"empty name":      deployMsg("", ok, ok),
		"upper-case name": deployMsg("Groth", ok, ok),
		"short hash":      deployMsg("x", nil, &pb.Module{Sha256: []byte{1, 2}, Size: 10}),
		"zero size":       deployMsg("x", nil, module(3, 0)),
		"oversize module": deployMsg("x", module(4, p.MaxProgramSize+1), ok),
		"65-char name":    deployMsg(string(bytes.Repeat([]byte{'a'}, 65)), nil, ok),
		"verifier budget over max_verify_cycles": {Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "x", Verifier: ok,
			VerifyCycles: p.MaxVerifyCycles + 1}}},
	}
	for name, msg := range cases {
		f := newFixture(t, p, 1_000_000)
		before := f.tree.WorkingHash()
		res, err := protocol.CheckTx(f.kv, f.env, signMin(t, p, f.keys[0], 0, msg))
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != wire.CodeInvalidMessage || res.Log == "" {
			t.Errorf("%s: code %d %q, want invalid_message", name, res.Code, res.Log)
		}
		if !bytes.Equal(before, f.tree.WorkingHash()) {
			t.Errorf("%s: a rejected deploy changed the state", name)
		}
	}
}

// TestVerifyBudget: a program's verifier runs with its own declared budget,
// else the workload's cycles, and never past max_verify_cycles, except on a
// challenge (the chain's own benchmark); the stored program keeps what the
// Deploy declared.
func TestVerifyBudget(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1_000_000)
	msg := deployMsg("budgeted", module(1, 10), module(2, 10))
	msg.GetDeploy().VerifyCycles = 300_000_000
	if res := deliver(t, f, signMin(t, p, f.keys[0], 0, msg)); !res.OK() {
		t.Fatalf("deploy with a budget: %d %s", res.Code, res.Log)
	}
	prog, err := protocol.GetProgram(f.kv, wire.ProgramID(module(1, 10).Sha256, module(2, 10).Sha256))
	if err != nil {
		t.Fatal(err)
	}
	const workload = 50_000_000_000
	if got := protocol.VerifyBudget(p, prog, &pb.Workload{Cycles: workload}); got != 300_000_000 {
		t.Fatalf("declared budget: %d", got)
	}
	if got := protocol.VerifyBudget(p, prog, &pb.Workload{Cycles: 1000}); got != 1000 {
		t.Fatalf("a declared budget above the workload's cycles: %d, want the workload's 1000", got)
	}
	if got := protocol.VerifyBudget(p, &pb.Program{}, &pb.Workload{Cycles: workload}); got != workload {
		t.Fatalf("undeclared budget: %d, want the workload's %d", got, workload)
	}
	if got := protocol.VerifyBudget(p, &pb.Program{}, &pb.Workload{Cycles: 10 * p.MaxVerifyCycles}); got != p.MaxVerifyCycles {
		t.Fatalf("a huge workload's verifier: %d, want max_verify_cycles %d", got, p.MaxVerifyCycles)
	}
	challenge := &pb.Workload{Cycles: 10 * p.MaxVerifyCycles, Challenge: true}
	if got := protocol.VerifyBudget(p, prog, challenge); got != challenge.Cycles {
		t.Fatalf("a challenge's verifier: %d, want its whole budget %d", got, challenge.Cycles)
	}
	p.MaxVerifyCycles = 0
	if got := protocol.VerifyBudget(p, &pb.Program{}, &pb.Workload{Cycles: 10 * workload}); got != 10*workload {
		t.Fatalf("no cap: %d, want the workload's %d", got, 10*workload)
	}
}
