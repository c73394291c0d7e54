package chain_test

import (
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestMempoolKeepsRoomForCriticalMessages: once ordinary transactions fill
// three quarters of the mempool's bytes, CheckTx refuses more of them
// (mempool_busy) but still checks an Accept; a block that includes some
// makes room again, and so does a commit after which they were not
// rechecked (CometBFT dropped them). (A sender's own share: room_internal_test.go.)
func TestMempoolKeepsRoomForCriticalMessages(t *testing.T) {
	balances := []uint64{1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000}
	c := newChain(t, nil, balances...)
	size := int64(len(c.transfer(0, 0, addrOf(c.keys[1]), 1)))
	// A mempool of 16 transfers: 12 for ordinary transactions.
	c = newChainParams(t, nil, protocol.DefaultParams(), 16*(size+2), balances...)
	to := addrOf(c.keys[0])
	send := func(from, nonce int) *abci.CheckTxResponse { return c.checkTx(c.transfer(from, nonce, to, 1)) }
	var held [][]byte
	for s := range 6 {
		for n := range 2 {
			tx := c.transfer(s, n, to, 1)
			if res := c.checkTx(tx); res.Code != 0 {
				t.Fatalf("sender %d transfer %d refused with the shares not full: %d %s", s, n, res.Code, res.Log)
			}
			held = append(held, tx)
		}
	}
	if res := send(6, 0); res.Code != uint32(wire.CodeMempoolBusy) || !strings.Contains(res.Log, "ordinary") {
		t.Fatalf("a transfer past three quarters of the mempool: code %d %s, want mempool_busy for the ordinary share", res.Code, res.Log)
	}
	accept, err := client.SignTx(c.keys[7], chainID, 0, 0, feeParams(c.params),
		&client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: make([]byte, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.checkTx(accept); res.Code == uint32(wire.CodeMempoolBusy) {
		t.Fatalf("an Accept was refused for room: %s", res.Log)
	}
	c.block(held[:4]...)          // senders 0 and 1 leave the mempool in a block
	for _, tx := range held[4:] { // CometBFT rechecks the rest
		if res, err := c.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_RECHECK}); err != nil || res.Code != 0 {
			t.Fatalf("recheck: %v %v", err, res)
		}
	}
	if res := send(6, 0); res.Code != 0 {
		t.Fatalf("after a block took four, a transfer is still refused: %d %s", res.Code, res.Log)
	}
	// Not rechecked across two commits: CometBFT no longer holds them.
	c.block()
	c.block()
	for n := 2; n < 4; n++ {
		if res := send(1, n); res.Code != 0 {
			t.Fatalf("sender 1's transfer %d refused although nothing was rechecked: %d %s", n, res.Code, res.Log)
		}
	}
}
