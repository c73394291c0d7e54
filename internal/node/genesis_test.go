package node

import (
	"testing"

	"github.com/cometbft/cometbft/types"
)

// TestGenesisLeavesBlockSizeToApp: the genesis sets block.max_bytes to -1
// so that CometBFT offers PrepareProposal the whole mempool, which it
// orders and caps (docs/SECURITY.md, "Block stuffing"); with a positive
// limit CometBFT would reap in arrival order first.
func TestGenesisLeavesBlockSizeToApp(t *testing.T) {
	home := t.TempDir()
	if _, err := Init(home, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	g, err := types.GenesisDocFromFile(GenesisFile(home))
	if err != nil {
		t.Fatal(err)
	}
	if g.ConsensusParams.Block.MaxBytes != -1 {
		t.Fatalf("block.max_bytes is %d, want -1", g.ConsensusParams.Block.MaxBytes)
	}
}
