package chain_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/protocol"
)

// TestMempoolKeepsRoomForCriticalMessages: once ordinary transactions fill
// three quarters of the mempool's bytes, CheckTx refuses more of them
// (mempool_busy) but still checks an Accept; a block that includes the
// ordinary ones makes room again, and so does a commit after which they
// were not rechecked (CometBFT dropped them).
func TestMempoolKeepsRoomForCriticalMessages(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000)
	size := int64(len(c.transfer(0, 0, addrOf(c.keys[1]), 1)))
	c = newChainParams(t, nil, protocol.DefaultParams(), 8*(size+4), 1_000_000, 1_000_000) // a mempool of 8 transfers
	bob := addrOf(c.keys[1])
	var admitted [][]byte
	for n := range 6 {
		tx := c.transfer(0, n, bob, 1)
		if res := c.checkTx(tx); res.Code != 0 {
			t.Fatalf("transfer %d refused with the ordinary share not full: %d %s", n, res.Code, res.Log)
		}
		admitted = append(admitted, tx)
	}
	if res := c.checkTx(c.transfer(0, 6, bob, 1)); res.Code != uint32(protocol.CodeMempoolBusy) {
		t.Fatalf("7th transfer past three quarters of the mempool: code %d %s, want mempool_busy", res.Code, res.Log)
	}
	accept, err := client.SignTx(c.keys[1], chainID, 0, 0, client.FeeParams{FeePerByte: c.params.FeePerByte, FeePerMsg: c.params.FeePerMsg},
		&client.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: make([]byte, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.checkTx(accept); res.Code == uint32(protocol.CodeMempoolBusy) {
		t.Fatalf("an Accept was refused for room: %s", res.Log)
	}
	c.block(admitted[:3]...)          // three leave the mempool in a block
	for _, tx := range admitted[3:] { // CometBFT rechecks the rest
		if res, err := c.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_RECHECK}); err != nil || res.Code != 0 {
			t.Fatalf("recheck: %v %v", err, res)
		}
	}
	for n := 6; n < 9; n++ {
		if res := c.checkTx(c.transfer(0, n, bob, 1)); res.Code != 0 {
			t.Fatalf("after a block took three, transfer %d is refused: %d %s", n, res.Code, res.Log)
		}
	}
	if res := c.checkTx(c.transfer(0, 9, bob, 1)); res.Code != uint32(protocol.CodeMempoolBusy) {
		t.Fatalf("transfer past the share after the block: code %d, want mempool_busy", res.Code)
	}
	// Not rechecked across two commits: CometBFT no longer holds them.
	c.block()
	c.block()
	for n := range 6 {
		if res := c.checkTx(c.transfer(1, n, addrOf(c.keys[0]), 1)); res.Code != 0 {
			t.Fatalf("transfer %d refused although nothing was rechecked: %d %s", n, res.Code, res.Log)
		}
	}
}
