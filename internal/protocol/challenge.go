package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Challenges (PROTOCOL.md 4) are workloads the chain makes: the benchmark
// program (params.challenge_program) with inputs sized to the prover's
// declared hardware, k = 1, assigned directly to the prover (already
// accepted: a challenge cannot be declined), due within
// challenge_deadline blocks, paying challenge_reward and no fee. A pending
// prover gets admission_challenges of them once staked; each block every
// active prover is challenged with probability 1/challenge_interval, the
// beacon drawing a window of the provers' positions (challenge_draw.go).
// What a challenge that does not end in a final proof costs is in
// settle.go (challengeConsequences).
//
// One challenge is several workloads issued at once, its pieces
// (ChallengeShapeOf): the sandbox runs a program on one thread in at most
// 2 GiB, so one workload can test neither cores nor more memory than that.
// There is a piece per declared core, their buffers adding up to the
// declared memory; each piece is sized to about half of challenge_cycles.
// A piece holds at most MaxPieceMiB and a challenge at most
// MaxChallengePieces pieces: what a declaration claims beyond that is
// recorded but not tested, and the allocator ignores it (Tested). Only a
// machine that runs all the pieces at once finishes them all in one
// piece's time, so challenge_deadline, set to a little more than that time
// on the reference machine, fails a prover with much less than the
// throughput or the memory it declared (docs/WORKLOADS.md, "Challenges",
// says how much less and what this does not test). GPUs are not tested at
// all: with challenges on, the allocator ignores them (AllocHardware).

const challengeDomain = "provernet/challenge-workload/v1"

// challengeProgram returns the benchmark program, or nil when challenges
// are disabled (no challenge_program, or it is not deployed).
func challengeProgram(r store.Reader, p Params) (*pb.Program, error) {
	if p.ChallengeProgram == "" {
		return nil, nil
	}
	id, err := hex.DecodeString(p.ChallengeProgram)
	if err != nil {
		return nil, nil // Validate rejects this at genesis
	}
	prog, err := GetProgram(r, id)
	if isNotFound(err) {
		return nil, nil
	}
	return prog, err
}

// randomChallenges challenges the active provers the beacon selects
// (challengedProvers).
func randomChallenges(kv store.KV, env Env) ([]Event, error) {
	prog, err := challengeProgram(kv, env.Params)
	if err != nil || prog == nil {
		return nil, err
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	addrs, err := challengedProvers(kv, seed, env.Params.ChallengeInterval)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, a := range addrs {
		p, err := GetProver(kv, a)
		if err != nil {
			return nil, err
		}
		if p.State != pb.ProverState_PROVER_STATE_ACTIVE { // the index lists only active provers; kept as a guard
			continue
		}
		ev, err := issueChallenge(kv, env, prog, p, seed, false, 0)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev...)
	}
	return evs, nil
}

// issueAdmission gives a newly staked pending prover its admission
// challenges, or admits it at once when challenges are disabled. Passes
// count from zero again: only pieces of this round admit it (passAdmission).
func issueAdmission(kv store.KV, env Env, p *pb.Prover) ([]Event, error) {
	prog, err := challengeProgram(kv, env.Params)
	if err != nil {
		return nil, err
	}
	if prog == nil || env.Params.AdmissionChallenges == 0 {
		p.State = pb.ProverState_PROVER_STATE_ACTIVE
		return nil, nil
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	p.AdmissionHeight, p.AdmissionPassed = env.Height, 0
	var evs []Event
	for n := range env.Params.AdmissionChallenges {
		ev, err := issueChallenge(kv, env, prog, p, seed, true, n)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev...)
	}
	return evs, nil
}

// admissionNeeded is how many admission workloads p must pass: every piece
// of each of its admission challenges.
func admissionNeeded(params Params, p *pb.Prover) uint64 {
	return uint64(params.AdmissionChallenges) * uint64(ChallengeShapeOf(params, p.GetHardware()).Pieces)
}

// admitProver makes a pending prover active once it is staked and has
// passed its admission challenges.
func admitProver(env Env, p *pb.Prover) {
	if p.State == pb.ProverState_PROVER_STATE_PENDING && p.Stake >= env.Params.MinProverStake &&
		uint64(p.AdmissionPassed) >= admissionNeeded(env.Params, p) {
		p.State = pb.ProverState_PROVER_STATE_ACTIVE
	}
}

// passAdmission counts a passed admission workload w of p, if it belongs
// to p's current round (a piece of a round that already missed one does
// not count toward the next), and admits p once all have passed.
func passAdmission(env Env, p *pb.Prover, w *pb.Workload) {
	if p.AdmissionHeight != 0 && w.Height == p.AdmissionHeight {
		p.AdmissionPassed++
	}
	admitProver(env, p)
}

// issueChallenge issues challenge n of p: one workload per piece.
func issueChallenge(kv store.KV, env Env, prog *pb.Program, p *pb.Prover, seed []byte, admission bool, n uint32) ([]Event, error) {
	shape := ChallengeShapeOf(env.Params, p.GetHardware())
	var evs []Event
	for piece := range shape.Pieces {
		ev, err := issuePiece(kv, env, prog, p, seed, admission, n*shape.Pieces+piece, ChallengeInput(seed, p, shape, piece), shape.Cycles)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev...)
	}
	return evs, nil
}

func issuePiece(kv store.KV, env Env, prog *pb.Program, p *pb.Prover, seed []byte, admission bool, n uint32, input []byte, cycles uint64) ([]Event, error) {
	id := challengeID(env.Height, p.Address, admission, n)
	w := &pb.Workload{
		Id: id, Program: prog.Id, Inputs: []*pb.Input{{Name: "input.json", Data: input}},
		Cycles: cycles, K: 1, Height: env.Height, Deadline: env.Height + env.Params.ChallengeDeadline,
		PieceReward: env.Params.ChallengeReward / uint64(ChallengeShapeOf(env.Params, p.GetHardware()).Pieces),
		State:       pb.WorkloadState_WORKLOAD_STATE_RUNNING, AllocatedHeight: env.Height, Challenge: true, Admission: admission,
		Slots: []*pb.Slot{{State: pb.SlotState_SLOT_STATE_ACCEPTED, AllocatedTo: p.Address, Prover: p.Address}},
	}
	if old, err := kv.Get(workloadKey(id)); err != nil || old != nil {
		if err == nil {
			err = fmt.Errorf("challenge %x: %w", id, errDuplicateWorkload)
		}
		return nil, err
	}
	res, err := finishMsg(kv, env, w, event("challenge", "workload", hexID(id), "prover", addrString(p.Address),
		"admission", strconv.FormatBool(admission), "deadline", strconv.FormatInt(w.Deadline, 10)))
	return res.Events, err
}

func challengeID(height int64, prover []byte, admission bool, n uint32) []byte {
	h := sha256.New()
	h.Write([]byte(challengeDomain))
	_ = binary.Write(h, binary.BigEndian, height)
	h.Write(prover)
	_ = binary.Write(h, binary.BigEndian, admission)
	_ = binary.Write(h, binary.BigEndian, n)
	return h.Sum(nil)
}

// The sizing of a challenge.
const (
	// MaxPieceMiB caps one piece's buffer: the benchmark program takes at
	// most 1024 MiB, and the sandbox gives a program 2 GiB in all.
	MaxPieceMiB = 1024
	// MaxChallengePieces caps the workloads of one challenge, and so the
	// cores a challenge tests (Tested); the weight table prices a Stake
	// with it (wire).
	MaxChallengePieces = wire.MaxChallengePieces
	// benchCyclesPerMiB is what the benchmark program costs, in metered
	// cycles, per MiB of buffer per segment at challengePasses passes
	// (measured: about 48.5e9 cycles for one segment of 1024 MiB).
	benchCyclesPerMiB = 48_000_000
	challengePasses   = 2
	challengeSamples  = 2
	benchMaxSegments  = 4096
)

// ChallengeShape is how a challenge of some declared hardware is cut into
// pieces, each one workload of the benchmark program.
type ChallengeShape struct {
	Pieces    uint32 // workloads issued at once: one per declared core
	MemoryMiB uint64 // buffer of each piece; Pieces * MemoryMiB >= the tested memory
	Segments  uint64 // segments of each piece: about half of challenge_cycles of work
	Cycles    uint64 // budget of each piece: challenge_cycles, or twice its work if more
}

// ChallengeShapeOf sizes a challenge to declared hardware hw: one piece per
// core, at most MaxChallengePieces, the buffers adding up to the declared
// memory, at most MaxPieceMiB each. What lies beyond (more cores, more
// memory per core) is not tested, and TestedHardware leaves it out.
func ChallengeShapeOf(p Params, hw *pb.Hardware) ChallengeShape {
	pieces := min(max(uint64(hw.GetCpuCores()), 1), MaxChallengePieces)
	s := ChallengeShape{Pieces: uint32(pieces), MemoryMiB: min(ceilDiv(max(hw.GetMemoryMb(), 1), pieces), MaxPieceMiB)}
	perSegment := s.MemoryMiB * benchCyclesPerMiB
	s.Segments = min(max(p.ChallengeCycles/2/perSegment, 1), benchMaxSegments)
	s.Cycles = max(p.ChallengeCycles, 2*s.Segments*perSegment)
	return s
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

// ChallengeInput is the benchmark program's input for piece `piece` of a
// challenge of p shaped by shape: fresh from the beacon (and distinct per
// piece, so no piece is a copy of another).
func ChallengeInput(seed []byte, p *pb.Prover, shape ChallengeShape, piece uint32) []byte {
	h := sha256.New()
	h.Write(seed)
	h.Write(p.Address)
	_ = binary.Write(h, binary.BigEndian, piece)
	samples := min(shape.Segments, challengeSamples)
	return fmt.Appendf(nil, `{"seed": "%x", "memory_mib": %d, "segments": %d, "passes": %d, "samples": %d}`,
		h.Sum(nil), shape.MemoryMiB, shape.Segments, challengePasses, samples)
}

// AllocHardware is what the allocator relies on of a declaration: with
// challenges on (a challenge_program), only what a challenge tests
// (TestedHardware); with them off the chain tests nothing and trusts the
// declaration whole, as it admits provers on stake alone (a chain made with
// --no-challenges, the simulator's and benchmarks' chains).
func AllocHardware(p Params, h *pb.Hardware) alloc.Hardware {
	if p.ChallengeProgram == "" {
		return HardwareOf(h)
	}
	return TestedHardware(h)
}

// TestedHardware is the part of a declaration a challenge tests (Tested):
// never its GPUs, which nothing tests yet.
func TestedHardware(h *pb.Hardware) alloc.Hardware { return Tested(HardwareOf(h)) }

// Tested is the part of declared hardware a challenge tests: at most
// MaxChallengePieces cores, at most MaxPieceMiB of memory per tested core,
// the disk as declared (untested, and harmless: nothing fills it), and no
// GPUs. A Run whose program requires more (a GPU, 2 GiB per core) is
// allocated to nobody: its slots wait open, and any active prover may fill
// them (the open market), as for any requirement nobody meets. Declaring
// hardware nobody else has thus captures nothing.
func Tested(h alloc.Hardware) alloc.Hardware {
	cores := min(h.CPUCores, MaxChallengePieces)
	return alloc.Hardware{CPUCores: cores, MemoryMB: min(h.MemoryMB, uint64(cores)*MaxPieceMiB), DiskGB: h.DiskGB}
}
