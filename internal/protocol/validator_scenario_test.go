package protocol_test

import (
	"cmp"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The validator commands of the scenario files (issue 19):
//
//	genesis ... validators=V[:OPERATOR][:POWER],...: genesis validators with records (staking on), power 10 unless given
//	validator-create from=NAME key=V stake=N [vrf-len=N]: CreateValidator with consensus key V
//	validator-unbond from=NAME key=V / validator-withdraw from=NAME key=V
//	validators: every record, and the bonded count
//	updates: the validator updates the running block has queued so far
//	proposer key=V|none: V proposes the running block and the later ones (its operator earns the fee share)
//	finalize-block ... [evidence=V,V]: the next block's misbehaviour, applied after its BeginBlock, before its transactions
//	tx-fee min|zero: later transactions offer the chain's minimum fee (default: 0)
//	committee-vote workload=W: every committee member of W's slots votes valid on its slots, one Vote each; prints the votes and their fees
//
// A consensus key V is ed25519 from the seed SHA-256("cons:" + V); its VRF
// key's secret is SHA-256("vrf:" + V) (scenario beacons are stand-ins:
// nothing verifies them, but CreateValidator's proofs are real).

// valScenario is a story's validator state outside the chain.
type valScenario struct {
	names    map[string]string  // consensus address (upper hex) -> key name
	proposer string             // key name; "" for none
	evidence []string           // key names, for the next block
	minFee   bool               // transactions offer the minimum fee
	sets     map[int64]cometSet // CometBFT's set by height (validator_comet_scenario_test.go); nil without validators=
	offline  map[string]bool    // key names nobody runs
}

func (s *scenario) handleValidator(t testing.TB, c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "validator-create":
		m := s.createValidatorMsg(t, c) // validator_pop_scenario_test.go
		return s.send(t, c.str("from"), m), true
	case "validator-unbond":
		from, addr := c.str("from"), s.consAddr(c.str("key"))
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_ValidatorUnbond{ValidatorUnbond: &pb.ValidatorUnbond{ConsensusAddress: addr}}}), true
	case "validator-withdraw":
		from, addr := c.str("from"), s.consAddr(c.str("key"))
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_ValidatorWithdraw{ValidatorWithdraw: &pb.ValidatorWithdraw{ConsensusAddress: addr}}}), true
	case "validators":
		return s.showValidators(t), true
	case "updates":
		return s.formatUpdates(s.env.Block.ValidatorUpdates()), true
	case "proposer":
		s.vals.proposer = c.str("key")
		if s.vals.proposer == "none" {
			s.vals.proposer = ""
		}
		s.setProposer(t)
		return "ok", true
	case "offline", "online", "comet", "misses":
		return s.handleComet(c)
	case "committee-vote":
		return s.committeeVote(t, c.str("workload")), true
	case "tx-fee":
		switch w := c.bare(1)[0]; w {
		case "min", "zero":
			s.vals.minFee = w == "min"
		default:
			c.fail("tx-fee takes min or zero, not %q", w)
		}
		return "ok", true
	}
	return "", false
}

// consKey is the consensus public key named key.
func (s *scenario) consKey(key string) []byte {
	pub := consSecret(key).Public().(ed25519.PublicKey)
	if s.vals.names == nil {
		s.vals.names = map[string]string{}
	}
	s.vals.names[fmt.Sprintf("%X", protocol.ConsensusAddress(pub))] = key
	return pub
}

func (s *scenario) consAddr(key string) []byte { return protocol.ConsensusAddress(s.consKey(key)) }

// genesisValidators reads validators=V[:OPERATOR][:POWER],... into the
// genesis's validators and the powers CometBFT would list; nil if absent.
func (s *scenario) genesisValidators(t testing.TB, c *cmd, g *protocol.Genesis) []protocol.GenesisPower {
	if !c.has("validators") {
		return nil
	}
	var powers []protocol.GenesisPower
	g.Validators = nil
	for _, spec := range c.list("validators") {
		parts := strings.Split(spec, ":")
		name, power := parts[0], int64(10)
		gv := protocol.GenesisValidator{Name: name, Address: s.consAddr(name)}
		gv.VRFPublicKey = vrfPublic(t, name)
		if len(parts) > 1 && parts[1] != "" {
			op := s.addr(t, parts[1])
			gv.Operator = &op
		}
		if len(parts) > 2 {
			n, err := strconv.ParseInt(parts[2], 10, 64)
			if err != nil {
				c.fail("validators: %q: power is not an integer", spec)
			}
			power = n
		}
		g.Validators = append(g.Validators, gv)
		powers = append(powers, protocol.GenesisPower{PubKey: s.consKey(name), Power: power})
	}
	return powers
}

// setProposer names the running block's proposer.
func (s *scenario) setProposer(t testing.TB) {
	var addr []byte
	if s.vals.proposer != "" {
		addr = s.consAddr(s.vals.proposer)
	}
	if err := s.env.Block.SetProposer(s.tree.Working(), s.env.Params, addr); err != nil {
		t.Fatal(err)
	}
}

// startBlock does, for a block just begun, what the chain does between
// BeginBlock and its transactions: the evidence, the last commit's
// signatures, then the proposer.
func (s *scenario) startBlock(t testing.TB) []string {
	var ev []protocol.Evidence
	for _, name := range s.vals.evidence {
		h := s.env.Height - 1
		if n, at, ok := strings.Cut(name, "@"); ok { // review: V@H names the infraction height
			x, err := strconv.ParseInt(at, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			name, h = n, x
		}
		ev = append(ev, protocol.Evidence{ConsensusAddress: s.consAddr(name), Height: h, Kind: "duplicate_vote"})
	}
	s.vals.evidence = nil
	evs, err := protocol.ApplyEvidence(s.tree.Working(), s.env, ev)
	if err != nil {
		t.Fatal(err)
	}
	out := append(s.formatEvents(evs), s.recordCommit(t)...) // the last commit's signatures
	s.setProposer(t)
	return out
}

func (s *scenario) formatUpdates(us []protocol.ValidatorUpdate) string {
	if len(us) == 0 {
		return "no updates"
	}
	var out []string
	for _, u := range us {
		out = append(out, fmt.Sprintf("%s=%d", s.vals.names[fmt.Sprintf("%X", protocol.ConsensusAddress(u.PubKey))], u.Power))
	}
	return "validator_updates " + strings.Join(out, " ")
}

func (s *scenario) showValidators(t testing.TB) string {
	var out []string
	err := protocol.Scan(s.tree.Working(), protocol.ValidatorPrefix(), func(v *pb.Validator) bool {
		key, err := protocol.VRFKey(s.tree.Working(), v.ConsensusAddress)
		if err != nil {
			t.Fatal(err)
		}
		op := "none"
		if a, err := address.FromBytes(v.Operator); err == nil {
			op = s.byAddr[a]
		}
		out = append(out, fmt.Sprintf("%s operator=%s stake=%d power=%d created=%d unbond_height=%d jailed=%v slashed=%d vrf=%v",
			s.vals.names[fmt.Sprintf("%X", v.ConsensusAddress)], op, v.Stake, v.Power, v.CreatedHeight, v.UnbondHeight, v.Jailed, v.Slashed, key != nil))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := protocol.BondedValidators(s.tree.Working())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(append(out, fmt.Sprintf("bonded=%d", n)), "\n")
}

// validatorStake is what the validators name operates hold in stake.
func (s *scenario) validatorStake(t testing.TB, name string) uint64 {
	a := s.addr(t, name)
	var sum uint64
	err := protocol.Scan(s.tree.Working(), protocol.ValidatorPrefix(), func(v *pb.Validator) bool {
		if string(v.Operator) == string(a[:]) {
			sum += v.Stake
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// committeeVote has every member of the committees of workload name's
// slots vote valid on the slots it judges, one Vote each, in committee
// order; it prints how many votes it sent and the fees they paid (what a
// proposer's share is taken from).
func (s *scenario) committeeVote(t testing.TB, name string) string {
	w, err := protocol.WorkloadView(s.tree.Working(), s.workloads[name])
	if err != nil {
		return "error: " + err.Error()
	}
	entries := map[string][]wire.Ballot{}
	var order []string
	for _, sl := range w.Slots {
		for _, m := range sl.Committee {
			if _, ok := entries[string(m)]; !ok {
				order = append(order, string(m))
			}
			entries[string(m)] = append(entries[string(m)], wire.Ballot{Number: sl.Ballot, Verdict: wire.VerdictValid})
		}
	}
	var fees uint64
	for _, m := range order {
		a, err := address.FromBytes([]byte(m))
		if err != nil {
			t.Fatal(err)
		}
		before, err := protocol.GetAccount(s.tree.Working(), a)
		if err != nil {
			t.Fatal(err)
		}
		es := entries[m]
		slices.SortFunc(es, func(x, y wire.Ballot) int { return cmp.Compare(x.Number, y.Number) })
		v, err := wire.EncodeVote(es)
		if err != nil {
			t.Fatal(err)
		}
		if out := s.send(t, s.byAddr[a], &pb.Msg{Kind: &pb.Msg_Vote{Vote: v}}); !strings.HasPrefix(out, "ok") {
			return s.byAddr[a] + ": " + out
		}
		after, err := protocol.GetAccount(s.tree.Working(), a)
		if err != nil {
			t.Fatal(err)
		}
		fees += before.Balance - after.Balance
	}
	return fmt.Sprintf("votes=%d fees=%d", len(order), fees)
}
