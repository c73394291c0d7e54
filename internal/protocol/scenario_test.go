package protocol_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
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
// the files; review any such diff like code.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		s := &scenario{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return s.handle(t, d)
		})
	})
	_ = filepath.Join
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
}

func (s *scenario) handle(t *testing.T, d *datadriven.TestData) string {
	args := argMap(d)
	switch d.Cmd {
	case "genesis":
		return s.genesis(t, args)
	case "finalize-block":
		n, _ := strconv.Atoi(args.get("n", "1"))
		return s.finalize(t, n, args.has("full"))
	case "register":
		cores, _ := strconv.ParseUint(args.get("cores", "8"), 10, 32)
		mem, _ := strconv.ParseUint(args.get("memory", "16384"), 10, 64)
		max, _ := strconv.ParseUint(args.get("max", "2"), 10, 32)
		vrfKey := sha256.Sum256([]byte("vrf:" + args["from"]))
		if args.has("bad-vrf") {
			return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey[:5]}}})
		}
		hw := &pb.Hardware{CpuCores: uint32(cores), MemoryMb: mem, Gpus: gpuArgs(args["gpus"])}
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{
			VrfPublicKey: vrfKey[:], Hardware: hw,
			MaxConcurrent: uint32(max), BlobEndpoint: "http://" + args["from"] + ".example:1317"}}})
	case "challenge-input": // challenge-input ch-bob-1: the piece's input and budget
		id, ok := s.workloads[args.first(d)]
		if !ok {
			t.Fatalf("%s: unknown workload %q", d.Pos, args.first(d))
		}
		w, err := protocol.GetWorkload(s.tree.Working(), id)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("cycles=%d input=%s", w.Cycles, w.Inputs[0].Data)
	case "stake":
		amount, _ := strconv.ParseUint(args["amount"], 10, 64)
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: amount}}})
	case "unbond":
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}})
	case "withdraw":
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}})
	case "transfer":
		amount, _ := strconv.ParseUint(args["amount"], 10, 64)
		to := s.addr(t, args["to"])
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to[:], Amount: amount}}})
	case "prover":
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, args.first(d)))
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%s state=%s stake=%d registered=%d unbond_height=%d cores=%d max=%d",
			args.first(d), protocol.StateName(p.State), p.Stake, p.RegisteredHeight, p.UnbondHeight, p.Hardware.CpuCores, p.MaxConcurrent)
	case "account":
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, args.first(d)))
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s balance=%d nonce=%d", args.first(d), a.Balance, a.Nonce)
	default:
		if out, ok := s.handleWorkload(t, d, args); ok {
			return out
		}
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
		return ""
	}
}

// genesis accounts=alice:100,bob:5 [param=value...]: fees are zero unless
// set; any parameter of PROTOCOL.md 8 may be given by its JSON name
// (reward_tiers_bp as 5000:3000:2000; challenge_program as a program name
// the story deploys later).
func (s *scenario) genesis(t *testing.T, args args) string {
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.RegistrationFee = 0, 0, 0 // stories set them when they are the point
	s.programs, s.workloads, s.wlNames = map[string][]byte{}, map[string][]byte{}, map[string]string{}
	s.users, s.sealed, s.challenges = map[string]*age.X25519Identity{}, map[string]sealedResult{}, map[string]int{}
	p = s.setParams(t, p, args)
	s.tree, s.keys, s.byAddr = iavltree.OpenMemory(), map[string]ed25519.PrivateKey{}, map[address.Address]string{}
	g := protocol.Genesis{Params: p, BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
	for _, spec := range strings.Split(args["accounts"], ",") {
		name, bal, _ := strings.Cut(spec, ":")
		n, _ := strconv.ParseUint(bal, 10, 64)
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: s.addr(t, name), Balance: n})
	}
	if err := protocol.InitGenesis(s.tree.Working(), "scenario", &g); err != nil {
		return "error: " + err.Error()
	}
	s.env = protocol.Env{ChainID: "scenario", Height: 1, Params: p}
	return "ok"
}

func (s *scenario) setParams(t *testing.T, p protocol.Params, args args) protocol.Params {
	m := map[string]any{}
	b, _ := json.Marshal(p)
	_ = json.Unmarshal(b, &m)
	for _, k := range sortedNames(args) {
		v := args[k]
		switch k {
		case "accounts":
			continue
		case "reward_tiers_bp":
			var tiers []int
			for _, x := range strings.Split(v, ":") {
				n, _ := strconv.Atoi(x)
				tiers = append(tiers, n)
			}
			m[k] = tiers
		case "challenge_program":
			pv, vf := sha256.Sum256([]byte("prover:"+v)), sha256.Sum256([]byte("verifier:"+v))
			m[k] = hex.EncodeToString(wire.ProgramID(pv[:], vf[:]))
		default:
			if _, ok := m[k]; !ok {
				t.Fatalf("genesis: unknown parameter %q", k)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("genesis %s=%s: %v", k, v, err)
			}
			m[k] = n
		}
	}
	b, _ = json.Marshal(m)
	var out protocol.Params
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// finalize ends n blocks: commit, a beacon for the next height (a
// deterministic stand-in for the VRF entry, which needs a validator key),
// the next block's BeginBlock, and the section 9 invariants after each.
// It prints the new height and the events the chain's own work emitted.
func (s *scenario) finalize(t *testing.T, n int, full bool) string {
	var out []string
	for i := 0; i < n; i++ {
		var fill uint64 // the block ending here: full, or as good as empty
		if full {
			fill = s.env.Params.FullBlockBytes
		}
		if err := protocol.RecordFill(s.tree.Working(), s.env, fill); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.tree.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := protocol.CheckInvariants(s.tree.Working()); err != nil {
			return "invariant broken: " + err.Error()
		}
		s.env.Height++
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
	}
	return strings.Join(append([]string{fmt.Sprintf("height %d", s.env.Height)}, out...), "\n")
}

// send signs one message with the sender's next nonce and delivers it at
// the current height.
func (s *scenario) send(t *testing.T, from string, m *pb.Msg) string {
	key := s.key(from)
	a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := txn.Sign(key, &pb.TxBody{ChainId: s.env.ChainID, Nonce: a.Nonce, Messages: []*pb.Msg{m}})
	if err != nil {
		t.Fatal(err)
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

func (s *scenario) addr(t *testing.T, name string) address.Address {
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
	return text
}

// nameOf turns a bech32 address or a workload id in an event back into its
// scenario name.
func (s *scenario) nameOf(v string) (string, bool) {
	if n, ok := s.wlNames[v]; ok {
		return n, true
	}
	a, err := address.Parse(v)
	if err != nil {
		return "", false
	}
	n, ok := s.byAddr[a]
	return n, ok
}

// gpuArgs parses gpus=MODEL:MB,MODEL:MB.
func gpuArgs(v string) []*pb.Gpu {
	var out []*pb.Gpu
	for _, g := range strings.Split(v, ",") {
		if g == "" {
			continue
		}
		model, mb, _ := strings.Cut(g, ":")
		n, _ := strconv.ParseUint(mb, 10, 64)
		out = append(out, &pb.Gpu{Model: model, MemoryMb: n})
	}
	return out
}

type args map[string]string

func argMap(d *datadriven.TestData) args {
	m := args{}
	for _, a := range d.CmdArgs {
		m[a.Key] = strings.Join(a.Vals, ",")
	}
	return m
}

func (a args) get(k, def string) string {
	if v, ok := a[k]; ok {
		return v
	}
	return def
}

func (a args) has(k string) bool { _, ok := a[k]; return ok }

// first is the first bare argument (prover alice).
func (a args) first(d *datadriven.TestData) string {
	keys := make([]string, 0, len(d.CmdArgs))
	for _, c := range d.CmdArgs {
		if len(c.Vals) == 0 {
			keys = append(keys, c.Key)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}
