package record

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Account converts a stored account (nil: one never written, all zero) to
// the API's form, at the state's height.
func Account(addr address.Address, a *pb.Account, height int64) wire.Account {
	out := wire.Account{Address: addr.String(), Height: height}
	if a != nil {
		out.Balance, out.Nonce = a.Balance, a.Nonce
	}
	return out
}

// Prover converts a stored prover to the API's form.
func Prover(p *pb.Prover) wire.Prover {
	if p == nil {
		p = &pb.Prover{}
	}
	return wire.Prover{Address: addrString(p.Address), State: ProverStateName(p.State), Stake: p.Stake, MaxConcurrent: p.MaxConcurrent,
		BlobEndpoint: p.BlobEndpoint, Label: p.Label, HotKey: addrString(p.HotKey), VRFPublicKey: hex.EncodeToString(p.VrfPublicKey),
		RegisteredHeight: p.RegisteredHeight, UnbondHeight: p.UnbondHeight, Hardware: Hardware(p.Hardware),
		Reason: p.RemovedReason, SuspendedUntil: p.SuspendedUntil, Misses: p.Declines, Suspensions: p.Suspensions,
		Slashed: p.Slashed, ProofsFinal: p.ProofsFinal, VotesPaid: p.VotesPaid, WrongVotes: p.WrongVotes, Absences: p.Absences}
}

// Hardware converts declared hardware (nil stays nil).
func Hardware(hw *pb.Hardware) *wire.Hardware {
	if hw == nil {
		return nil
	}
	out := &wire.Hardware{CPUCores: hw.CpuCores, MemoryMB: hw.MemoryMb, DiskGB: hw.DiskGb}
	for _, g := range hw.Gpus {
		out.GPUs = append(out.GPUs, wire.GPU{Model: g.GetModel(), MemoryMB: g.GetMemoryMb()})
	}
	return out
}

// Workload converts a stored workload to the API's form.
func Workload(w *pb.Workload) wire.Workload {
	if w == nil {
		w = &pb.Workload{}
	}
	out := wire.Workload{ID: hex.EncodeToString(w.Id), Program: hex.EncodeToString(w.Program), Owner: addrString(w.Owner),
		Inputs: make([]wire.Input, 0, len(w.Inputs)), Cycles: w.Cycles, K: w.K, Recipient: w.Recipient,
		Height: w.Height, Deadline: w.Deadline, Fee: w.Fee, Escrow: w.Escrow, State: WorkloadStateName(w.State),
		Reason: w.Reason, AllocatedHeight: w.AllocatedHeight, RevealFrom: w.RevealFrom, FinalHeight: w.FinalHeight,
		Settled: w.Settled, SettledHeight: w.SettledHeight, Challenge: w.Challenge, Admission: w.Admission,
		Minted: w.Minted, Burned: w.Burned, Refunded: w.Refunded, VotersPaid: w.VotersPaid, Slots: make([]wire.Slot, 0, len(w.Slots))}
	for _, in := range w.Inputs {
		ci := wire.Input{Name: in.GetName(), SHA256: hex.EncodeToString(in.GetSha256()), Size: in.GetSize()}
		if len(in.GetSha256()) == 0 {
			sum := sha256.Sum256(in.GetData())
			ci.SHA256, ci.Size, ci.Inline = hex.EncodeToString(sum[:]), uint64(len(in.GetData())), true
		}
		out.Inputs = append(out.Inputs, ci)
	}
	for _, s := range w.Slots {
		out.Slots = append(out.Slots, Slot(s))
	}
	out.Market, out.Missed = MarketOrder(w.Market), AskMisses(w.Missed) // issue 17
	return out
}

// Slot converts a stored slot to the API's form.
func Slot(s *pb.Slot) wire.Slot {
	return wire.Slot{Index: s.GetIndex(), State: SlotStateName(s.GetState()), Prover: addrString(s.GetProver()),
		AllocatedTo: addrString(s.GetAllocatedTo()), Released: s.GetReleased(), Filled: s.GetFilled(), AcceptBy: s.GetAcceptBy(),
		OpenUntil: s.GetOpenUntil(), SealedSHA256: hex.EncodeToString(s.GetSealedSha256()), Commit: hex.EncodeToString(s.GetCommit()),
		Outcome: OutcomeName(s.GetOutcome()), CyclesUsed: s.GetCyclesUsed(), SubmitHeight: s.GetSubmitHeight(), RevealBy: s.GetRevealBy(),
		Identity: s.GetIdentity(), VoteBy: s.GetVoteBy(), CommitteeSize: len(s.GetCommittee()), ValidVotes: s.GetValidVotes(),
		InvalidVotes: s.GetInvalidVotes(), CopiedVotes: s.GetCopiedVotes(), Ballot: s.GetBallot(),
		DecidedHeight: s.GetDecidedHeight(), Tier: s.GetTier(), Reward: s.GetReward(), FeePaid: s.GetFeePaid(),
		VotersPaid: s.GetVotersPaid(), Burned: s.GetBurned(), Due: s.GetDue(), FailClaim: addrString(s.GetFailClaim()),
		Waited: s.GetWaited(), Round: s.GetRound(), Excused: s.GetExcused(),
		Price: s.GetPrice(), AskID: s.GetAskId(), Promise: s.GetPromise()}
}

// addrString is the bech32 form of raw address bytes, "" when they are not
// an address (absent, or malformed).
func addrString(b []byte) string {
	a, err := address.FromBytes(b)
	if err != nil {
		return ""
	}
	return a.String()
}
