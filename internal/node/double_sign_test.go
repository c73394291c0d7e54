package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// TestDoubleSignEvidenceJailsAndSlashes (issue 19, fault f): a validator
// whose key signs two conflicting votes is punished through CometBFT's
// real evidence path. Three genesis validators run; a fourth node joins
// and bonds 5000 PRV by CreateValidator. The test then makes each victim
// double-sign for certain (no race between two nodes sharing a key): it
// signs, with the victim's priv_validator_key.json, two prevotes for one
// recent height and round naming different blocks, and sends the
// DuplicateVoteEvidence to node0's RPC broadcast_evidence. CometBFT's
// evidence pool verifies it, a proposer puts it in a block, and the app
// burns slash_double_sign_bp (5%) of the joiner's stake and jails it; then
// the same for the genesis validator node2 (no stake: jailed only). Both
// leave CometBFT's set two blocks later while their nodes keep running,
// and node0 and node1, the power left, keep committing one chain that
// every node follows.
func TestDoubleSignEvidenceJailsAndSlashes(t *testing.T) {
	t.Parallel()
	const n, stake = 3, 5_000_000_000
	net := startStakingNet(t, n, "evidence-test", evidenceCooldown)
	op, homes, vals, c0, joiner, jhome := net.op, net.homes, net.vals, net.c0, net.joiner, net.jhome
	keys, err := ProveValidatorKeys(jhome, "", "evidence-test", address.FromPublicKey(op.PublicKey()))
	if err != nil {
		t.Fatal(err)
	}
	created := sendAndWait(t, c0, op, client.CreateValidatorMsg(keys.ConsensusPublicKey, keys.VRFPublicKey, stake, keys.ConsensusPoP, keys.VRFPoP))
	jaddr := fmt.Sprintf("%X", keys.ConsensusAddress)
	if set := cometValidators(t, vals[0], created.Height+2); !set[jaddr] {
		t.Fatalf("CometBFT's validators at %d lack the joiner %s: %v", created.Height+2, jaddr, set)
	}
	rpc, err := rpchttp.New(vals[0].RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	before, err := c0.Supply(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// The staked joiner: 5% of its stake burned, jailed.
	j := jailedBy(t, c0, rpc, jhome, created.Height+2)
	const slash = stake * 500 / 10_000
	if j.Stake != stake-slash || j.Slashed != slash || j.Operator != op.Address() {
		t.Fatalf("the joiner after its double sign: %+v; want stake %d, slashed %d", j, stake-slash, slash)
	}
	after, err := c0.Supply(context.Background())
	if err != nil || after.Burned < before.Burned+slash {
		t.Fatalf("supply %+v -> %+v (%v): the slash of %d not burned", before, after, err, slash)
	}

	// The genesis validator node2: no stake, jailed.
	g := jailedBy(t, c0, rpc, homes[2], waitHeight(t, c0, 1).Height)
	if g.Stake != 0 || g.Slashed != 0 {
		t.Fatalf("node2 after its double sign: %+v", g)
	}

	// Both leave CometBFT's set; node0 and node1 commit on, and every
	// node, the two jailed ones included, follows the same chain.
	last := max(j.UnbondHeight, g.UnbondHeight) - evidenceCooldown
	set := cometValidators(t, vals[0], last+2)
	if len(set) != 2 || set[j.Address] || set[g.Address] {
		t.Fatalf("CometBFT's validators at %d (two after the last jailing): %v", last+2, set)
	}
	t.Logf("the joiner jailed at %d, node2 at %d; CometBFT's set at %d: %v", j.UnbondHeight-evidenceCooldown, g.UnbondHeight-evidenceCooldown, last+2, set)
	top := last + 8
	all := append(append([]*Node{}, vals...), joiner)
	for _, nd := range all {
		waitHeight(t, client.New(nd.APIURL()), top)
	}
	signedBy(t, vals[0], top-1, homes[0], homes[1])
	sameAppHashes(t, all, created.Height, top)
}

// evidenceCooldown is the test chain's validator_unbond_cooldown: a
// jailed validator's unbond_height is the jailing height plus it, and
// CometBFT keeps evidence that many blocks (fitEvidenceAge).
const evidenceCooldown = 20

// jailedBy makes the validator whose home is home double-sign at height h
// (doubleSign), waits until the chain (c) jails it, checks that the block
// that did carries the evidence, and returns its record.
func jailedBy(t *testing.T, c *client.Client, rpc *rpchttp.HTTP, home string, h int64) *wire.Validator {
	t.Helper()
	addr := doubleSign(t, rpc, home, h)
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := findValidator(t, c, addr)
		if v != nil && v.Status == "jailed" {
			if v.Power != 0 {
				t.Fatalf("jailed with power %d: %+v", v.Power, v)
			}
			evidenceIn(t, rpc, v.UnbondHeight-evidenceCooldown, addr, h)
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not jailed 20 s after its evidence was broadcast: %+v", addr, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// doubleSign signs, with the consensus key of home, two prevotes for
// height h, round 0, naming two different (made-up) blocks, as a key run
// on two machines would; it builds CometBFT's DuplicateVoteEvidence from
// the validator set and block time at h (RPC validators and header) and
// sends it to RPC broadcast_evidence. It returns the validator's address.
func doubleSign(t *testing.T, rpc *rpchttp.HTTP, home string, h int64) string {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(home, "config", "priv_validator_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(b, &key); err != nil {
		t.Fatal(err)
	}
	header, err := rpc.Header(ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	perPage := 100
	res, err := rpc.Validators(ctx, &h, nil, &perPage)
	if err != nil {
		t.Fatal(err)
	}
	set := cmttypes.NewValidatorSet(res.Validators)
	addr := key.PrivKey.PubKey().Address()
	idx, _ := set.GetByAddress(addr)
	if idx < 0 {
		t.Fatalf("%X is not in the validator set at %d", addr, h)
	}
	vote := func(block string) *cmttypes.Vote {
		v := &cmttypes.Vote{Type: cmttypes.PrevoteType, Height: h, Round: 0, Timestamp: header.Header.Time,
			BlockID:          cmttypes.BlockID{Hash: digest(block), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: digest(block + "/parts")}},
			ValidatorAddress: addr, ValidatorIndex: idx}
		sig, err := key.PrivKey.Sign(cmttypes.VoteSignBytes(header.Header.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := cmttypes.NewDuplicateVoteEvidence(vote("a"), vote("b"), header.Header.Time, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rpc.BroadcastEvidence(ctx, ev); err != nil {
		t.Fatalf("broadcast_evidence against %X at %d: %v", addr, h, err)
	}
	return addr.String()
}

func digest(s string) []byte { d := sha256.Sum256([]byte(s)); return d[:] }

// evidenceIn checks that block at carries duplicate vote evidence against
// addr from height h.
func evidenceIn(t *testing.T, rpc *rpchttp.HTTP, at int64, addr string, h int64) {
	t.Helper()
	blk, err := rpc.Block(context.Background(), &at)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range blk.Block.Evidence.Evidence {
		if dve, ok := e.(*cmttypes.DuplicateVoteEvidence); ok && dve.VoteA.ValidatorAddress.String() == addr && dve.Height() == h {
			return
		}
	}
	t.Fatalf("block %d, the one that jailed %s, carries no duplicate vote evidence of height %d: %v", at, addr, h, blk.Block.Evidence.Evidence)
}

// signedBy checks that the commit of height h carries a signature of the
// validator of each of homes.
func signedBy(t *testing.T, nd *Node, h int64, homes ...string) {
	t.Helper()
	commit, err := nd.RPC().Commit(context.Background(), &h)
	if err != nil {
		t.Fatal(err)
	}
	for _, home := range homes {
		keys, err := ReadValidatorKeys(home, "")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range commit.Commit.Signatures {
			found = found || s.BlockIDFlag == cmttypes.BlockIDFlagCommit && bytes.Equal(s.ValidatorAddress, keys.ConsensusAddress)
		}
		if !found {
			t.Fatalf("the commit of %d lacks the signature of %X (%s)", h, keys.ConsensusAddress, home)
		}
	}
}

// sameAppHashes checks that the nodes hold the same app hash at every
// height in from..to.
func sameAppHashes(t *testing.T, nodes []*Node, from, to int64) {
	t.Helper()
	ctx := context.Background()
	for h := from; h <= to; h++ {
		var ref string
		for i, nd := range nodes {
			b, err := client.New(nd.APIURL()).Block(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				ref = b.AppHash
			} else if b.AppHash != ref {
				t.Fatalf("height %d: node %d has app hash %s, node 0 %s", h, i, b.AppHash, ref)
			}
		}
	}
}
