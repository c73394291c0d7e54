package bench

import (
	"fmt"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// Story classes: the attacks the simulator has no strategy for, played as
// the scenario files tell them (internal/protocol/testdata/scenarios),
// through the real protocol, with every party's holdings and every
// workload read at the end.

// story is one scripted attack: its accounts, who is the attacker, and the
// play.
type story struct {
	class    string
	scenario string // the scenario file that tells it
	accounts map[string]uint64
	attacker []string
	honest   []string // honest provers (every other Run owner than the attacker is an honest user)
	play     func(s *storyChain)
	note     string
}

// StoryAttack is a story class's detail. Holdings are balances plus
// stakes.
type StoryAttack struct {
	Scenario        string   `json:"scenario"`
	AttackerBefore  int64    `json:"attacker_holdings_before_uprv"`
	AttackerAfter   int64    `json:"attacker_holdings_after_uprv"`
	HonestSlashed   uint64   `json:"honest_slashed_uprv"`
	HonestUserLost  uint64   `json:"honest_user_lost_uprv"`
	HonestDeniedPay uint64   `json:"honest_denied_pay_uprv"`
	HonestMisses    uint32   `json:"honest_misses"`
	AttackerSlashed uint64   `json:"attacker_slashed_uprv"`
	Workloads       []string `json:"workloads"` // each Run's end: owner, state, reason
	Height          int64    `json:"height"`
}

var stories = []story{
	{class: "copy_across", scenario: "attack_copy_across.txt",
		accounts: map[string]uint64{"alice": 1_000_000, "mallory": 1_000_000, "bob": 5000, "carol": 5000, "dave": 5000, "erin": 5000},
		attacker: []string{"mallory", "carol"}, honest: []string{"bob", "dave", "erin"}, play: playCopyAcross,
		note: "carol (mallory's prover) lands bob's sealed file for alice's w1 in a slot of mallory's own Run first; bob's submission still lands, carol cannot reveal the copy"},
	{class: "hostile_program", scenario: "workload_fail.txt",
		accounts: map[string]uint64{"mallory": 1_000_000, "bob": 5000, "carol": 5000, "dave": 5000, "erin": 5000, "frank": 5000},
		attacker: []string{"mallory"}, honest: []string{"bob", "carol", "dave", "erin", "frank"}, play: playHostileProgram,
		note: "mallory's program gives no proof its verifier accepts; the honest daemons check their own proof and answer fail (internal/prover checkOwn); the second fail confirms and burns her share"},
	{class: "blocking_third_small_network", scenario: "attack_blocking_third.txt",
		accounts: map[string]uint64{"mallory": 1_000_000, "bob": 5000, "carol": 5000, "dave": 5000, "erin": 5000, "g1": 5000, "g2": 5000, "g3": 5000},
		attacker: []string{"mallory", "g1", "g2", "g3"}, honest: []string{"bob", "carol", "dave", "erin"}, play: playBlockingThird,
		note: "six judges in all, three of them mallory's: every committee is the whole active set, so her half blocks both rounds; bob's correct proof is left undecided and unpaid, mallory keeps it and gets her fee back (SECURITY.md, Blocking a committee, Left)"},
}

func playCopyAcross(s *storyChain) {
	s.provers(16, "bob")
	s.provers(32, "carol")
	s.provers(8, "dave", "erin")
	prog16, prog32 := s.deploy("alice", "prog16", 16), s.deploy("mallory", "prog32", 32)
	w1, w2 := s.run("alice", prog16, 1, 20), s.run("mallory", prog32, 1, 20)
	s.finalize(1)
	if s.assigned(w1, 0, "bob") == "" || s.assigned(w2, 0, "carol") == "" {
		return
	}
	file := s.sealFor("bob", w1, 0, seal.OutcomeProof) // in the mempool
	s.submit("carol", w2, 0, seal.OutcomeProof, file)  // the copy lands first
	s.submit("bob", w1, 0, seal.OutcomeProof, file)
	s.reveal("bob", w1, 0)
	s.vote("dave", w1, 0, true)
	s.vote("erin", w1, 0, true)
	s.finalize(11) // carol's reveal window closes
}

func playHostileProgram(s *storyChain) {
	s.provers(16, "bob", "carol")
	s.provers(8, "dave", "erin", "frank")
	prog := s.deploy("mallory", "hostile", 16)
	w := s.run("mallory", prog, 1, 20)
	s.finalize(1)
	first := s.assigned(w, 0, "bob", "carol")
	s.submit(first, w, 0, seal.OutcomeFail, nil) // its own verifier rejected its proof
	s.finalize(1)                                // the chain draws a second prover for the re-opened slot
	second := s.assigned(w, 0, "bob", "carol")
	if second == first {
		s.fail(fmt.Errorf("the re-opened slot went back to its claimant %s", first))
	}
	s.submit(second, w, 0, seal.OutcomeFail, nil) // it runs the program too: no proof its verifier accepts
	s.reveal(second, w, 0)                        // a confirmed fail is decided at reveal, without a committee
}

func playBlockingThird(s *storyChain) {
	s.provers(16, "bob")
	s.provers(8, "carol", "dave", "erin", "g1", "g2", "g3")
	prog := s.deploy("mallory", "prog", 16)
	w := s.run("mallory", prog, 1, 20)
	s.finalize(1)
	if s.assigned(w, 0, "bob") == "" {
		return
	}
	s.submit("bob", w, 0, seal.OutcomeProof, nil)
	s.reveal("bob", w, 0)
	for range 2 { // two vote rounds, each left undecided
		for _, g := range []string{"g1", "g2", "g3"} {
			s.vote(g, w, 0, false)
		}
		for _, h := range []string{"carol", "dave", "erin"} {
			s.vote(h, w, 0, true)
		}
		s.finalize(11)
	}
}

func runStory(st story) (AttackClass, error) {
	s := newStory(st.accounts)
	before := s.holdings(st.attacker...)
	st.play(s)
	if s.err != nil {
		return AttackClass{}, fmt.Errorf("story %s: %w", st.class, s.err)
	}
	d, err := storyAccounts(s, st)
	if err != nil {
		return AttackClass{}, err
	}
	d.AttackerBefore, d.AttackerAfter = before, s.holdings(st.attacker...)
	return AttackClass{Class: st.class, Method: "story", AttackerCostUprv: d.AttackerBefore - d.AttackerAfter,
		HonestLossUprv: d.HonestSlashed + d.HonestUserLost + d.HonestDeniedPay, Story: d, Note: st.note}, s.err
}

// storyAccounts reads the end of a story: the honest provers' slashes
// and misses, the honest users' fees kept on Runs without a final proof,
// and pay withheld from honest provers' proofs left undecided or judged
// invalid (the slot's share less its burn and vote pool).
func storyAccounts(s *storyChain, st story) (*StoryAttack, error) {
	kv := s.tree.Working()
	d := &StoryAttack{Scenario: st.scenario, Height: s.env.Height}
	for _, name := range st.honest {
		p, err := protocol.GetProver(kv, s.addr(name))
		if err != nil {
			return nil, err
		}
		d.HonestSlashed += p.Slashed
		d.HonestMisses += p.Declines
	}
	for _, name := range st.attacker {
		if p, err := protocol.GetProver(kv, s.addr(name)); err == nil {
			d.AttackerSlashed += p.Slashed
		}
	}
	for _, r := range s.runs {
		w, err := protocol.WorkloadView(kv, r.id)
		if err != nil {
			return nil, err
		}
		if !w.Settled {
			return nil, fmt.Errorf("%s's Run did not settle by height %d", r.owner, s.env.Height)
		}
		d.Workloads = append(d.Workloads, fmt.Sprintf("%s: %s (%s)", r.owner, protocol.WorkloadStateName(w.State), w.Reason))
		honestUser := !slices.Contains(st.attacker, r.owner)
		if honestUser && w.State != pb.WorkloadState_WORKLOAD_STATE_FINAL {
			d.HonestUserLost += w.Fee - w.Refunded
		}
		po := protocol.PayoutFor(s.env.Params, w.Fee, uint32(len(w.Slots)), false)
		for _, sl := range w.Slots {
			denied := sl.State == pb.SlotState_SLOT_STATE_UNDECIDED || sl.State == pb.SlotState_SLOT_STATE_INVALID
			if denied && sl.Outcome == pb.Outcome_OUTCOME_PROOF && slices.Contains(st.honest, s.nameOf(sl.Prover, st.honest)) {
				d.HonestDeniedPay += po.Share - po.Burn - po.VotePool
			}
		}
	}
	return d, nil
}

// nameOf is the name among names whose address is a ("" if none).
func (s *storyChain) nameOf(a []byte, names []string) string {
	for _, n := range names {
		if ad := s.addr(n); string(ad[:]) == string(a) {
			return n
		}
	}
	return ""
}
