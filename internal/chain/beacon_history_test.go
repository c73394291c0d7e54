package chain_test

import (
	"encoding/binary"
	"testing"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
	"google.golang.org/protobuf/proto"
)

// TestBeaconHistoryBounded: past protocol.BeaconHistory blocks the state
// keeps exactly the newest BeaconHistory beacon entries (a state sync
// snapshot no longer grows with the chain), and /beacon still answers for
// an older height, from the state version of that height, which a node
// keeping its versions has.
func TestBeaconHistoryBounded(t *testing.T) {
	c := newChain(t, nil, 1_000_000)
	for range protocol.BeaconHistory + 20 {
		c.block()
	}
	kept, oldest := 0, int64(0)
	err := c.tree.Working().Iterate([]byte("beacon/h/"), []byte("beacon/h0"), func(k, _ []byte) bool {
		h := int64(binary.BigEndian.Uint64(k[len("beacon/h/"):]))
		if kept == 0 {
			oldest = h
		}
		kept++
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept != protocol.BeaconHistory || oldest != c.height-protocol.BeaconHistory+1 {
		t.Fatalf("the state keeps %d beacon entries from height %d at height %d; want %d from %d",
			kept, oldest, c.height, protocol.BeaconHistory, c.height-protocol.BeaconHistory+1)
	}
	for _, h := range []int64{1, 7, oldest - 1, oldest, c.height} {
		resp := c.query(chain.PathBeacon, binary.BigEndian.AppendUint64(nil, uint64(h)), 0, false)
		var e pb.BeaconEntry
		if resp.Code != chain.QueryOK || proto.Unmarshal(resp.Value, &e) != nil || e.Height != h {
			t.Errorf("beacon %d: code %d (%s), entry of height %d", h, resp.Code, resp.Log, e.Height)
		}
		from := c.height // the newest state keeps it
		if h < oldest {
			from = h // pruned: the state of its own height
		}
		if resp.Height != from {
			t.Errorf("beacon %d read from the state of height %d, want %d", h, resp.Height, from)
		}
	}
}
