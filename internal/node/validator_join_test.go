package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// TestValidatorJoinsAndLeaves (issue 19): two validators on loopback; a
// third node starts as a full node from their genesis and becomes a
// validator by a CreateValidator transaction naming its consensus and VRF
// keys. CometBFT lists it from two heights later, it signs commits and
// proposes blocks whose beacons the others verify with the VRF key the
// transaction registered; then it unbonds, leaves CometBFT's set, is
// stopped, and the chain goes on; after the cooldown its operator
// withdraws the stake. Every node checks the invariants after every block.
func TestValidatorJoinsAndLeaves(t *testing.T) {
	t.Parallel()
	const n = 2
	// The joiner's power is 5 against the genesis validators' 10 each: the
	// chain needs more than 2/3 of 25, which the two give without it; and
	// 5 is below a third of 25 (the power cap).
	net := startStakingNet(t, n, "join-test", 8)
	op, vals, c0, joiner, jhome := net.op, net.vals, net.c0, net.joiner, net.jhome
	cj := client.New(joiner.APIURL())
	waitHeight(t, cj, 3)
	keys, err := ProveValidatorKeys(jhome, "", "join-test", address.FromPublicKey(op.PublicKey()))
	if err != nil {
		t.Fatal(err)
	}
	jaddr := fmt.Sprintf("%X", keys.ConsensusAddress)

	created := sendAndWait(t, c0, op, client.CreateValidatorMsg(keys.ConsensusPublicKey, keys.VRFPublicKey, 5_000_000_000, keys.ConsensusPoP, keys.VRFPoP))
	t.Logf("created at height %d", created.Height)
	ctx := context.Background()
	if set := cometValidators(t, vals[0], created.Height+2); !set[jaddr] {
		t.Fatalf("CometBFT's validators at %d (two after the CreateValidator) lack the joiner %s: %v", created.Height+2, jaddr, set)
	}
	proposed, signed := waitProposedAndSigned(t, vals[0], c0, jaddr, created.Height+2)
	t.Logf("the joiner proposed height %d and signed the commit of %d", proposed, signed)
	if b, err := c0.Beacon(ctx, proposed); err != nil || !strings.EqualFold(b.Proposer, jaddr) {
		t.Fatalf("beacon of height %d: %+v %v; want the joiner's", proposed, b, err)
	}
	if v := findValidator(t, c0, jaddr); v == nil || v.Status != "bonded" || v.Power != 5 || v.Operator != op.Address() {
		t.Fatalf("the joiner's record: %+v", v)
	}

	unbonded := sendAndWait(t, c0, op, client.ValidatorUnbondMsg(keys.ConsensusAddress))
	if set := cometValidators(t, vals[0], unbonded.Height+2); set[jaddr] || len(set) != n {
		t.Fatalf("CometBFT's validators at %d (two after the unbond): %v", unbonded.Height+2, set)
	}
	if err := joiner.Stop(); err != nil {
		t.Fatal(err)
	}
	v := findValidator(t, c0, jaddr)
	if v == nil || v.Status != "unbonding" || v.UnbondHeight != unbonded.Height+8 {
		t.Fatalf("the joiner's record after the unbond: %+v", v)
	}
	waitHeight(t, c0, v.UnbondHeight)
	before, err := c0.Account(ctx, op.Address())
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := sendAndWait(t, c0, op, client.ValidatorWithdrawMsg(keys.ConsensusAddress))
	after, err := c0.Account(ctx, op.Address())
	if err != nil {
		t.Fatal(err)
	}
	if after.Balance < before.Balance+5_000_000_000-10_000 {
		t.Fatalf("withdraw at %d: balance %d -> %d, want the 5000 PRV stake back", withdrawn.Height, before.Balance, after.Balance)
	}
	if v := findValidator(t, c0, jaddr); v == nil || v.Status != "withdrawn" || v.Stake != 0 || v.Power != 0 {
		t.Fatalf("a withdrawn validator's record (a tombstone, so its key never bonds again): %+v", v)
	}
	// The two go on alone, and agree.
	top := waitHeight(t, c0, withdrawn.Height+3).Height
	c1 := client.New(vals[1].APIURL())
	waitHeight(t, c1, top)
	for h := created.Height; h <= top; h++ {
		b0, err0 := c0.Block(ctx, h)
		b1, err1 := c1.Block(ctx, h)
		if err0 != nil || err1 != nil || b0.AppHash != b1.AppHash {
			t.Fatalf("height %d: app hashes %v %v (%v %v)", h, b0, b1, err0, err1)
		}
	}
}

// stakingNet is n genesis validators on loopback with validator staking
// on (a validator at 5,000 PRV has power 5 against their 10 each), an
// operator account holding 100,000 PRV, and a full node started from their
// genesis, peering with them, that may join them as a validator.
type stakingNet struct {
	op     *client.Key
	homes  []string
	vals   []*Node
	c0     *client.Client // node0's API
	joiner *Node
	jhome  string
}

// startStakingNet starts a stakingNet on chain chainID whose stake unbonds
// over cooldown blocks; everything stops when the test ends.
func startStakingNet(t *testing.T, n int, chainID string, cooldown int64) *stakingNet {
	t.Helper()
	ports := netPorts(t, 3*(n+1))
	op, err := client.GenerateKey("operator")
	if err != nil {
		t.Fatal(err)
	}
	params := protocol.DefaultParams()
	params.ValidatorParams = &protocol.ValidatorParams{MaxValidators: 10, MinValidatorStake: 5_000_000_000,
		PowerReduction: 1_000_000_000, ValidatorUnbondCooldown: cooldown, ProposerFeeBP: 2000, SlashDoubleSignBP: 500,
		DowntimeWindow: 100, DowntimeMaxMissedBP: 5000}
	homes, err := InitNetwork(NetworkOptions{
		Dir: t.TempDir(), Validators: n, ChainID: chainID,
		Ports:     func(i int) (int, int, int) { return ports[3*i], ports[3*i+1], ports[3*i+2] },
		Configure: func(_ int, c *Config) { c.Chain.BlockTime = Duration{100 * time.Millisecond}; c.Log.Level = "error" },
	}, InitOptions{Params: &params, Accounts: []protocol.GenesisAccount{{Address: address.FromPublicKey(op.PublicKey()), Balance: 100_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	net := &stakingNet{op: op, homes: homes, vals: make([]*Node, n)}
	for i, h := range homes {
		if net.vals[i], err = Start(context.Background(), h, Options{Log: testLog(t), AfterCommit: checkSupply}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = net.vals[i].Stop() })
	}
	net.c0 = client.New(net.vals[0].APIURL())
	waitHeight(t, net.c0, 2)
	net.joiner, net.jhome = startJoiner(t, homes[0], net.vals, ports[3*n:])
	t.Cleanup(func() { _ = net.joiner.Stop() })
	return net
}

// startJoiner starts a full node peering with vals, from the genesis of
// genesisHome, listening on ports (p2p, rpc, api); it returns the node and
// its home.
func startJoiner(t *testing.T, genesisHome string, vals []*Node, ports []int) (*Node, string) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "joiner")
	cfg := DefaultConfig()
	cfg.Moniker, cfg.Log.Level = "joiner", "error"
	cfg.Chain.BlockTime = Duration{100 * time.Millisecond}
	cfg.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[0])
	cfg.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	cfg.API.Listen = fmt.Sprintf("127.0.0.1:%d", ports[2])
	cfg.P2P.AllowLoopback = true
	var peers []string
	for _, v := range vals {
		peers = append(peers, v.P2PAddress())
	}
	cfg.P2P.PersistentPeers = strings.Join(peers, ",")
	g, err := os.ReadFile(GenesisFile(genesisHome))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Join(home, g, cfg); err != nil { // as `provernet init --genesis` does
		t.Fatal(err)
	}
	nd, err := Start(context.Background(), home, Options{Log: testLog(t), AfterCommit: checkSupply})
	if err != nil {
		t.Fatal(err)
	}
	return nd, home
}

// sendAndWait sends msg from key and waits for it to commit with code 0.
func sendAndWait(t *testing.T, c *client.Client, key *client.Key, msg *client.Msg) *wire.TxResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.Send(ctx, key, 0, msg)
	if err != nil {
		t.Fatal(err)
	}
	txr, err := c.WaitTx(ctx, res.Hash)
	if err != nil || txr.Code != 0 {
		t.Fatalf("transaction not committed ok: %v %+v", err, txr)
	}
	return txr
}

// cometValidators is CometBFT's validator set at height h (waiting for it),
// by upper-case hex address.
func cometValidators(t *testing.T, nd *Node, h int64) map[string]bool {
	t.Helper()
	waitHeight(t, client.New(nd.APIURL()), h)
	res, err := nd.RPC().Validators(context.Background(), &h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, v := range res.Validators {
		set[v.Address.String()] = true
	}
	return set
}

// waitProposedAndSigned waits, from height from on, for a block proposed by
// the validator addr and for a commit carrying its signature; it returns
// their heights.
func waitProposedAndSigned(t *testing.T, nd *Node, c *client.Client, addr string, from int64) (proposed, signed int64) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for h := from; time.Now().Before(deadline) && (proposed == 0 || signed == 0); h++ {
		waitHeight(t, c, h+1)
		b, err := c.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if proposed == 0 && strings.EqualFold(b.Proposer, addr) {
			proposed = h
		}
		commit, err := nd.RPC().Commit(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range commit.Commit.Signatures {
			if signed == 0 && s.BlockIDFlag == cmttypes.BlockIDFlagCommit && bytes.Equal(s.ValidatorAddress, mustHex(t, addr)) {
				signed = h
			}
		}
	}
	if proposed == 0 || signed == 0 {
		t.Fatalf("in 30 s the joiner proposed at %d and signed at %d (0: never)", proposed, signed)
	}
	return proposed, signed
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%X", &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// findValidator is the chain's record of the validator addr, or nil.
func findValidator(t *testing.T, c *client.Client, addr string) *wire.Validator {
	t.Helper()
	vs, err := c.Validators(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		if vs[i].Address == addr {
			return &vs[i]
		}
	}
	return nil
}
