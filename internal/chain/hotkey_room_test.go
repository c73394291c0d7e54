package chain_test

import (
	"strings"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestHotKeysShareTheProversRoom (issue 19, the hot key review): a
// prover's critical transactions take one share of the mempool
// (room.go), whichever of its keys sends them. Before, each hot key had a
// share of its own, and a prover naming hot keys one after another while
// nothing committed (each SetHotKey admitted against the pending view)
// held 4.2 shares of critical filler with one stake; now its own key and
// three hot keys named in turn hold one share between them: once its own
// key filled it, the hot keys add nothing.
func TestHotKeysShareTheProversRoom(t *testing.T) {
	params := protocol.DefaultParams()
	params.AdmissionChallenges = 0
	const stake = 1000 * 1_000_000
	const mempool = 64 << 20 // a sender's share: 8 MiB
	c := newChainParams(t, nil, params, mempool, 1<<50, 2*stake, 1<<50, 1<<50, 1<<50)
	prover, hots := 1, []int{2, 3, 4}
	s := &wlSigner{c: c, nonces: map[int]uint64{}}
	mustOK(t, "register", c.block(s.tx(prover, client.RegisterProverMsg(make([]byte, 32), wire.Hardware{CPUCores: 4, MemoryMB: 4096}, 1, ""), client.StakeMsg(stake))))
	c.block()

	entries := make([]wire.Ballot, wire.MaxVoteEntries)
	for i := range entries {
		entries[i] = wire.Ballot{Number: uint64(1)<<60 + uint64(i), Verdict: wire.VerdictValid}
	}
	vote, err := wire.EncodeVote(entries)
	if err != nil {
		t.Fatal(err)
	}
	fill := func(from int) (bytes int) {
		for {
			raw := s.tx(from, &pb.Msg{Kind: &pb.Msg_Vote{Vote: vote}})
			res := c.checkTx(raw)
			if res.Code != 0 {
				s.nonces[from]--
				if !strings.Contains(res.Log, "this sender's transactions fill") {
					t.Fatalf("sender %d: code %d %s", from, res.Code, res.Log)
				}
				return bytes
			}
			bytes += len(raw)
		}
	}
	own, added := fill(prover), 0
	for _, h := range hots {
		consent, err := client.HotKeyConsent(c.keys[h], chainID, c.keys[prover].Address(), s.nonces[h])
		if err != nil {
			t.Fatal(err)
		}
		if res := c.checkTx(s.tx(prover, client.SetHotKeyMsg(c.keys[h].PublicKey(), consent))); res.Code != 0 { // pending, never committed
			t.Fatalf("naming hot key %d: %d %s", h, res.Code, res.Log)
		}
		n := fill(h)
		t.Logf("hot key %d added %d bytes of Votes for the prover", h, n)
		added += n
	}
	if added > 0 {
		t.Fatalf("the prover's own key filled its share with %d bytes of Votes; its hot keys added %d more (%.1f shares)", own, added, float64(own+added)/float64(own))
	}
}
