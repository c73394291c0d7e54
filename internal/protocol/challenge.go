package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
)

// Challenges (PROTOCOL.md 4) are workloads the chain makes: the benchmark
// program (params.challenge_program) with an input sized to the prover's
// declared hardware, k = 1, assigned directly to the prover (already
// accepted: a challenge cannot be declined), due within
// challenge_deadline blocks, paying challenge_reward and no fee. A pending
// prover gets admission_challenges of them once staked; each block every
// active prover is challenged with probability 1/challenge_interval,
// decided by alloc.Challenged from the beacon. A challenge that does not end
// in a final proof removes its prover.

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

// randomChallenges challenges the active provers the beacon selects.
func randomChallenges(kv store.KV, env Env, provers []*pb.Prover) ([]Event, error) {
	prog, err := challengeProgram(kv, env.Params)
	if err != nil || prog == nil {
		return nil, err
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, p := range provers {
		if p.State != pb.ProverState_PROVER_STATE_ACTIVE || !alloc.Challenged(seed, [20]byte(p.Address), env.Params.ChallengeInterval) {
			continue
		}
		cur, err := GetProver(kv, [20]byte(p.Address))
		if err != nil {
			return nil, err
		}
		if cur.State != pb.ProverState_PROVER_STATE_ACTIVE { // removed earlier in this block
			continue
		}
		ev, err := issueChallenge(kv, env, prog, cur, seed, false, 0)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev...)
	}
	return evs, nil
}

// issueAdmission gives a newly staked pending prover its admission
// challenges, or admits it at once when challenges are disabled.
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
	p.AdmissionHeight = env.Height
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

// admitProver makes a pending prover active once it is staked and has
// passed its admission challenges.
func admitProver(env Env, p *pb.Prover) {
	if p.State == pb.ProverState_PROVER_STATE_PENDING && p.Stake >= env.Params.MinProverStake &&
		p.AdmissionPassed >= env.Params.AdmissionChallenges {
		p.State = pb.ProverState_PROVER_STATE_ACTIVE
	}
}

func issueChallenge(kv store.KV, env Env, prog *pb.Program, p *pb.Prover, seed []byte, admission bool, n uint32) ([]Event, error) {
	id := challengeID(env.Height, p.Address, admission, n)
	w := &pb.Workload{
		Id: id, Program: prog.Id, Inputs: []*pb.Input{{Name: "input.json", Data: ChallengeInput(seed, p)}},
		Cycles: env.Params.ChallengeCycles, K: 1, Height: env.Height, Deadline: env.Height + env.Params.ChallengeDeadline,
		State: pb.WorkloadState_WORKLOAD_STATE_RUNNING, AllocatedHeight: env.Height, Challenge: true, Admission: admission,
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

// ChallengeInput is the benchmark program's input for a challenge of p:
// fresh from the beacon, and sized to its declared cores and memory.
func ChallengeInput(seed []byte, p *pb.Prover) []byte {
	s := sha256.Sum256(append(append([]byte{}, seed...), p.Address...))
	mem := min(max(p.GetHardware().GetMemoryMb()/4, 1), 256)
	segments := min(max(p.GetHardware().GetCpuCores(), 1), 64)
	return fmt.Appendf(nil, `{"seed": "%x", "memory_mib": %d, "segments": %d, "passes": 2, "samples": 2}`, s, mem, segments)
}
