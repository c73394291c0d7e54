package protocol_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/cockroachdb/datadriven"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// TestScenarios runs the scripted state-machine stories in
// testdata/scenarios (raft's datadriven style): one handler per command,
// the expected output under each command. `go test -rewrite` would rewrite
// the files; review any such diff like code. A malformed command (unknown,
// an argument it does not take, a value that does not parse, a missing
// value, trailing words or lines) fails the test at its file:line
// (scenario_args_test.go); TestScenarioParserRejects checks that it does.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		s := &scenario{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return s.handle(t, d)
		})
	})
}

// scenario is one story's chain: a store, the current height and named keys.
type scenario struct {
	tree   *iavltree.Tree
	env    protocol.Env
	keys   map[string]ed25519.PrivateKey
	byAddr map[address.Address]string

	programs   map[string][]byte // name -> program id
	workloads  map[string][]byte // name -> workload id
	wlNames    map[string]string // hex id -> name
	users      map[string]*age.X25519Identity
	sealed     map[string]sealedResult // "w1/0" -> what was submitted
	challenges map[string]int          // prover name -> challenges named so far
	trees      map[string][]byte       // tree name -> tree id (issue 16, tree_scenario_test.go)
	vals       valScenario             // issue 19, validator_scenario_test.go
}

// handle runs one command; the arguments are checked as the handler reads
// them, and whatever it did not read is an error.
func (s *scenario) handle(t testing.TB, d *datadriven.TestData) string {
	c := newCmd(t, d)
	if s.tree == nil && d.Cmd != "genesis" {
		c.fail("the story must start with genesis")
	}
	out := s.dispatch(t, c)
	c.done()
	return out
}

func (s *scenario) dispatch(t testing.TB, c *cmd) string {
	switch c.d.Cmd {
	case "genesis":
		return s.genesis(t, c)
	case "finalize-block":
		n := c.uint("n", "1", 16)
		if c.has("evidence") { // issue 19: the next block's misbehaviour
			s.vals.evidence = c.list("evidence")
		}
		return s.finalize(t, int(n), c.flag("full"), c.flag("heavy"))
	case "register":
		from := c.str("from")
		vrfKey := sha256.Sum256([]byte("vrf:" + from))
		if c.flag("bad-vrf") {
			return s.send(t, from, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey[:5]}}})
		}
		hw := &pb.Hardware{CpuCores: uint32(c.uint("cores", "8", 32)), MemoryMb: c.uint("memory", "16384", 64), Gpus: gpuArgs(c)}
		label := c.opt("label", "") // label-len=N: N bytes of x
		if n := c.uint("label-len", "0", 16); n > 0 {
			label = strings.Repeat("x", int(n))
		}
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{
			VrfPublicKey: vrfKey[:], Hardware: hw, Label: label,
			MaxConcurrent: uint32(c.uint("max", "2", 32)), BlobEndpoint: "http://" + from + ".example:1317"}}})
	case "challenge-input": // challenge-input ch-bob-1: the piece's input and budget
		name := c.bare(1)[0]
		id, ok := s.workloads[name]
		if !ok {
			c.fail("unknown workload %q", name)
		}
		w, err := protocol.GetWorkload(s.tree.Working(), id)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("cycles=%d input=%s", w.Cycles, w.Inputs[0].Data)
	case "stake":
		from, amount := c.str("from"), c.uint("amount", "", 64)
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: amount}}})
	case "unbond":
		return s.send(t, c.str("from"), &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}})
	case "withdraw":
		return s.send(t, c.str("from"), &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}})
	case "hot-key": // hot-key from=NAME key=NAME|none [consent-for=NAME] [consent-nonce=N] [no-consent] (issue 19)
		return s.hotKey(t, c)
	case "transfer":
		from, to, amount := c.str("from"), s.addr(t, c.str("to")), c.uint("amount", "", 64)
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to[:], Amount: amount}}})
	case "prover":
		name := c.bare(1)[0]
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			return "error: " + err.Error()
		}
		out := fmt.Sprintf("%s state=%s stake=%d registered=%d unbond_height=%d cores=%d max=%d",
			name, protocol.StateName(p.State), p.Stake, p.RegisteredHeight, p.UnbondHeight, p.Hardware.CpuCores, p.MaxConcurrent)
		if p.Label != "" {
			out += " label=" + p.Label
		}
		return out
	case "account":
		name := c.bare(1)[0]
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s balance=%d nonce=%d", name, a.Balance, a.Nonce)
	default:
		if out, ok := s.handleWorkload(t, c); ok {
			return out
		}
		if out, ok := s.handleMarket(t, c); ok { // market_scenario_test.go
			return out
		}
		if out, ok := s.handleTree(t, c); ok {
			return out
		}
		if out, ok := s.handleValidator(t, c); ok { // issue 19
			return out
		}
		c.fail("unknown command")
		return ""
	}
}

// genesis accounts=alice:100,bob:5 [param=value...]: fees are zero unless
// set; any parameter of docs/CHAIN.md's table may be given by its JSON
// name (reward_tiers_bp as 5000:3000:2000; challenge_program as a program
// name the story deploys later).
func (s *scenario) genesis(t testing.TB, c *cmd) string {
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight, p.RegistrationFee = 0, 0, 0, 0 // stories set them when they are the point
	s.programs, s.workloads, s.wlNames = map[string][]byte{}, map[string][]byte{}, map[string]string{}
	s.users, s.sealed, s.challenges = map[string]*age.X25519Identity{}, map[string]sealedResult{}, map[string]int{}
	s.tree, s.keys, s.byAddr = iavltree.OpenMemory(), map[string]ed25519.PrivateKey{}, map[address.Address]string{}
	s.vals = valScenario{}
	g := protocol.Genesis{BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
	for _, spec := range c.list("accounts") {
		name, bal := c.account(spec)
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: s.addr(t, name), Balance: bal})
	}
	powers := s.genesisValidators(t, c, &g) // issue 19: validators=...
	s.startComet(powers)                    // and CometBFT's set of them
	p = s.setParams(c, p)
	g.Params = p
	if err := protocol.InitGenesis(s.tree.Working(), "scenario", &g); err != nil {
		return "error: " + err.Error()
	}
	if err := protocol.RecordGenesisValidators(s.tree.Working(), &g, powers); err != nil {
		return "error: " + err.Error()
	}
	s.env = protocol.Env{ChainID: "scenario", Height: 1, Time: scenarioTime(1), Params: p}
	// Block 1 begins as every block does (the beacon entry is genesis's).
	block, _, err := protocol.BeginBlock(s.tree.Working(), s.env)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Block = block
	return "ok"
}

// setParams applies every argument not read yet as a parameter.
func (s *scenario) setParams(c *cmd, p protocol.Params) protocol.Params {
	c.t.Helper()
	m := map[string]any{}
	b, _ := json.Marshal(p)
	_ = json.Unmarshal(b, &m)
	for _, a := range c.rest() {
		k := a.Key
		if len(a.Vals) != 1 || a.Vals[0] == "" {
			c.fail("parameter %s needs one value, got %q", k, a.Vals)
		}
		v := a.Vals[0]
		if _, ok := m[k]; !ok {
			c.fail("unknown parameter %q", k)
		}
		switch k {
		case "reward_tiers_bp":
			m[k] = c.tiers(v)
		case "challenge_program":
			pv, vf := sha256.Sum256([]byte("prover:"+v)), sha256.Sum256([]byte("verifier:"+v))
			m[k] = hex.EncodeToString(wire.ProgramID(pv[:], vf[:]))
		default:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				c.fail("parameter %s=%s is not an integer", k, v)
			}
			m[k] = n
		}
	}
	b, _ = json.Marshal(m)
	var out protocol.Params
	if err := json.Unmarshal(b, &out); err != nil {
		c.fail("parameters do not fit their types: %v", err)
	}
	return out
}

// scenarioTime is a story's block time at height h: one block every
// scenarioBlockSeconds from a fixed start, as CometBFT's BFT time gives
// every replica the same time with each block.
func scenarioTime(h int64) int64 { return 1_700_000_000 + scenarioBlockSeconds*h }

// scenarioBlockSeconds is a story's block interval in seconds.
const scenarioBlockSeconds = 5

// finalize ends n blocks: commit, a beacon for the next height (a
// deterministic stand-in for the VRF entry, which needs a validator key),
// the next block's BeginBlock, and the section 9 invariants after each.
// It prints the new height and the events the chain's own work emitted.
func (s *scenario) finalize(t testing.TB, n int, full, heavy bool) string {
	var out []string
	for i := 0; i < n; i++ {
		if why := s.cannotCommit(s.env.Height); why != "" { // staking review: the set must sign it
			out = append(out, why)
			break
		}
		// The block ending here: full by bytes, by weight, or as good as
		// empty.
		fill := protocol.EmptyFill(s.env.Params)
		if full {
			fill.Bytes = s.env.Params.FullBlockBytes
		}
		if heavy {
			fill.Weight = fill.Room
		}
		evs, err := protocol.EndBlock(s.tree.Working(), s.env, fill)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.formatEvents(evs)...)
		us := s.env.Block.ValidatorUpdates()
		if len(us) > 0 { // issue 19: what FinalizeBlock returns
			out = append(out, s.formatUpdates(us))
		}
		s.applyUpdates(s.env.Height, us)
		if _, _, err := s.tree.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := protocol.CheckInvariants(s.tree.Working()); err != nil {
			return "invariant broken: " + err.Error()
		}
		s.env.Height++
		s.env.Time = scenarioTime(s.env.Height)
		kv := s.tree.Working()
		prev, err := protocol.Seed(kv)
		if err != nil {
			t.Fatal(err)
		}
		next := sha256.Sum256(append(prev, byte(s.env.Height)))
		if _, err := protocol.ApplyBeacon(kv, &pb.BeaconEntry{Height: s.env.Height, PrevSeed: prev, Seed: next[:]}); err != nil {
			t.Fatal(err)
		}
		s.env.Block = nil // as the chain: BeginBlock works on the state; the block's list comes after
		block, evs, err := protocol.BeginBlock(kv, s.env)
		if err != nil {
			t.Fatal(err)
		}
		s.env.Block = block
		out = append(out, s.formatEvents(evs)...)
		out = append(out, s.startBlock(t)...) // issue 19: evidence, then the proposer
	}
	return strings.Join(append([]string{fmt.Sprintf("height %d", s.env.Height)}, out...), "\n")
}

// send signs one message with the sender's next nonce and delivers it at
// the current height.
func (s *scenario) send(t testing.TB, from string, m *pb.Msg) string {
	key := s.key(from)
	a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	body := &pb.TxBody{ChainId: s.env.ChainID, Nonce: a.Nonce, Messages: []*pb.Msg{m}}
	raw, err := txn.Sign(key, body)
	if err != nil {
		t.Fatal(err)
	}
	for s.vals.minFee && body.Fee < s.env.Params.MinFee(len(raw), body.Messages) { // issue 19: tx-fee min
		body.Fee = s.env.Params.MinFee(len(raw), body.Messages)
		if raw, err = txn.Sign(key, body); err != nil {
			t.Fatal(err)
		}
	}
	res, err := protocol.DeliverTx(s.tree.Working(), s.env, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		return fmt.Sprintf("rejected %s: %s", res.Code, s.names(res.Log))
	}
	return strings.Join(append([]string{"ok"}, s.formatEvents(res.Events)...), "\n")
}

// formatEvents prints events one per line, with names for addresses and
// workload ids.
func (s *scenario) formatEvents(evs []protocol.Event) []string {
	var out []string
	for _, e := range evs {
		s.nameChallenge(e)
		var kv []string
		for _, at := range e.Attrs {
			v := at.Value
			if name, ok := s.nameOf(v); ok {
				v = name
			}
			kv = append(kv, at.Key+"="+v)
		}
		out = append(out, e.Type+" "+strings.Join(kv, " "))
	}
	return out
}

func (s *scenario) key(name string) ed25519.PrivateKey {
	if k, ok := s.keys[name]; ok {
		return k
	}
	seed := sha256.Sum256([]byte("key:" + name))
	k := ed25519.NewKeyFromSeed(seed[:])
	s.keys[name] = k
	s.byAddr[address.FromPublicKey(k.Public().(ed25519.PublicKey))] = name
	return k
}

func (s *scenario) addr(t testing.TB, name string) address.Address {
	t.Helper()
	if name == "" {
		t.Fatal("missing account name")
	}
	return address.FromPublicKey(s.key(name).Public().(ed25519.PublicKey))
}

// names replaces every known bech32 address in text by its scenario name.
func (s *scenario) names(text string) string {
	for a, n := range s.byAddr {
		text = strings.ReplaceAll(text, a.String(), n)
	}
	for id, n := range s.wlNames {
		text = strings.ReplaceAll(text, id, n)
	}
	for addr, n := range s.vals.names { // issue 19: consensus addresses
		text = strings.ReplaceAll(text, addr, n)
	}
	return text
}

// nameOf turns a bech32 address or a workload id in an event back into its
// scenario name.
func (s *scenario) nameOf(v string) (string, bool) {
	if n, ok := s.wlNames[v]; ok {
		return n, true
	}
	if n, ok := s.vals.names[v]; ok { // issue 19: a consensus address
		return n, true
	}
	a, err := address.Parse(v)
	if err != nil {
		return "", false
	}
	n, ok := s.byAddr[a]
	return n, ok
}

// gpuArgs parses [gpus=MODEL:MB,MODEL:MB]; the model may be empty (the
// chain's refusal of one is a story of its own).
func gpuArgs(c *cmd) []*pb.Gpu {
	c.t.Helper()
	if !c.has("gpus") {
		return nil
	}
	var out []*pb.Gpu
	for _, g := range c.list("gpus") {
		model, mb, ok := strings.Cut(g, ":")
		n, err := strconv.ParseUint(mb, 10, 64)
		if !ok || err != nil {
			c.fail("gpus: %q is not MODEL:MB", g)
		}
		out = append(out, &pb.Gpu{Model: model, MemoryMb: n})
	}
	return out
}

// hotKey sends a SetHotKey from c's from naming key (none: revoking, or,
// from a hot key, resigning), with the key's consent: its signature for
// consent-for (default: from) at consent-nonce (default: its account's
// nonce), or none with no-consent.
func (s *scenario) hotKey(t testing.TB, c *cmd) string {
	from, key := c.str("from"), c.str("key")
	consentFor, noConsent := c.opt("consent-for", from), c.flag("no-consent")
	m := &pb.SetHotKey{}
	if key != "none" {
		priv, ok := s.keys[key]
		if !ok {
			c.fail("unknown key %q", key)
		}
		m.HotPublicKey = priv.Public().(ed25519.PublicKey)
		acct, err := protocol.GetAccount(s.tree.Working(), s.addr(t, key))
		if err != nil {
			t.Fatal(err)
		}
		nonce := c.uint("consent-nonce", strconv.FormatUint(acct.Nonce, 10), 64)
		if !noConsent {
			m.Consent = ed25519.Sign(priv, wire.HotKeyConsentMessage(s.env.ChainID, s.addr(t, consentFor), nonce))
		}
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_SetHotKey{SetHotKey: m}})
}
