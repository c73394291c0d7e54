package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

var programName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func programKey(id []byte) []byte { return append(append([]byte{}, prefixProgram...), id...) }

// GetProgram reads a deployed program.
func GetProgram(r store.Reader, id []byte) (*pb.Program, error) {
	b, err := r.Get(programKey(id))
	if err != nil {
		return nil, fmt.Errorf("failed to read program: %w", err)
	}
	if b == nil {
		return nil, fmt.Errorf("program %x: %w", id, store.ErrNotFound)
	}
	var p pb.Program
	if err := proto.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("failed to decode program %x: %w", id, err)
	}
	return &p, nil
}

// ProgramKey is the store key of a program (for proven queries).
func ProgramKey(id []byte) []byte { return programKey(id) }

// ProgramPrefix is the key prefix of all programs.
func ProgramPrefix() []byte { return append([]byte{}, prefixProgram...) }

// deploy registers a proof system. The chain holds hashes and sizes; the
// bytes travel as blobs and nodes fetch them when they need them.
func deploy(kv store.KV, env Env, sender address.Address, m *pb.Deploy) (Result, error) {
	if res := checkDeploy(env.Params, m); !res.OK() {
		return res, nil
	}
	id := wire.ProgramID(m.GetProver().GetSha256(), m.Verifier.Sha256)
	old, err := kv.Get(programKey(id))
	if err != nil {
		return Result{}, err
	}
	if old != nil {
		return reject(wire.CodeAlreadyExists, "deploy: program %x is already deployed", id), nil
	}
	p := &pb.Program{Id: id, Name: m.Name, Prover: m.Prover, Verifier: m.Verifier,
		MinHardware: m.MinHardware, Owner: sender[:], Height: env.Height, VerifyCycles: m.VerifyCycles}
	if err := setProto(kv, programKey(id), p); err != nil {
		return Result{}, err
	}
	if env.checking {
		return Result{}, nil
	}
	return Result{Events: []Event{event("deploy", "program", hex.EncodeToString(id), "name", m.Name, "owner", sender.String())}}, nil
}

func checkDeploy(p Params, m *pb.Deploy) Result {
	if !programName.MatchString(m.Name) {
		return reject(wire.CodeInvalidMessage, "deploy: name %q must be 1-64 of a-z 0-9 . _ - starting with a letter or digit", m.Name)
	}
	if m.Verifier == nil {
		return reject(wire.CodeInvalidMessage, "deploy: a verifier module is required")
	}
	if p.MaxVerifyCycles > 0 && m.VerifyCycles > p.MaxVerifyCycles {
		return reject(wire.CodeInvalidMessage, "deploy: verify_cycles %d is above max_verify_cycles %d", m.VerifyCycles, p.MaxVerifyCycles)
	}
	for _, mod := range []struct {
		what string
		m    *pb.Module
	}{{"verifier", m.Verifier}, {"prover", m.Prover}} {
		if mod.m == nil {
			continue
		}
		if len(mod.m.Sha256) != sha256.Size {
			return reject(wire.CodeInvalidMessage, "deploy: %s sha256 is %d bytes, want 32", mod.what, len(mod.m.Sha256))
		}
		if mod.m.Size == 0 || mod.m.Size > p.MaxProgramSize {
			return reject(wire.CodeInvalidMessage, "deploy: %s size %d is outside 1..%d (max_program_size)", mod.what, mod.m.Size, p.MaxProgramSize)
		}
	}
	return Result{}
}

// VerifyBudget is the cycle budget of one run of prog's verifier on a
// proof of w: the workload's cycles (what the user paid for: a verifier may
// cost as much as proving, when it recomputes, never more), or less if the
// program declared a smaller verify_cycles, and at most max_verify_cycles
// (0: no cap). A declared budget never raises it past the workload's
// cycles: committee work is then never more than the proving the user
// paid for, per member.
// A challenge, made by the chain with its own benchmark whose verifier
// recomputes sampled segments of the piece, gets its whole budget. A
// verifier that runs out of its budget rejects the proof.
func VerifyBudget(p Params, prog *pb.Program, w *pb.Workload) uint64 {
	if w.GetChallenge() {
		return w.GetCycles()
	}
	budget := w.GetCycles()
	if prog.GetVerifyCycles() > 0 {
		budget = min(prog.GetVerifyCycles(), budget)
	}
	if p.MaxVerifyCycles > 0 {
		budget = min(budget, p.MaxVerifyCycles)
	}
	return budget
}
