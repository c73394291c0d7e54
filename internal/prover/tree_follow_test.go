package prover

import (
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestTreesNamed: the events that bring a proof tree to the daemon's
// attention (its ProveTree and state changes by id, node windows and
// node proofs and the ballots of pending ones by tree), and only those.
func TestTreesNamed(t *testing.T) {
	attr := func(k, v string) abci.EventAttribute { return abci.EventAttribute{Key: k, Value: v} }
	evs := []abci.Event{
		{Type: "tree", Attributes: []abci.EventAttribute{attr("id", "a1"), attr("owner", "x")}},
		{Type: "node", Attributes: []abci.EventAttribute{attr("tree", "b2"), attr("node", "1")}},
		{Type: "node_proof", Attributes: []abci.EventAttribute{attr("tree", "c3"), attr("prover", "p")}},
		{Type: "tree_paid", Attributes: []abci.EventAttribute{attr("tree", "d4")}},
		{Type: "node", Attributes: []abci.EventAttribute{attr("id", "e5")}},
		{Type: "run", Attributes: []abci.EventAttribute{attr("workload", "f6")}},
		{Type: "node_ballot", Attributes: []abci.EventAttribute{attr("tree", "g7"), attr("ballot", "3")}},
	}
	if got, want := treesNamed(evs), []string{"a1", "b2", "c3", "g7"}; !slices.Equal(got, want) {
		t.Fatalf("named %v, want %v", got, want)
	}
}

// TestSavedTreesRoundTrip: the trees of interest survive a restart, and
// a forgotten one is gone.
func TestSavedTreesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := &Daemon{cfg: Config{Dir: dir}, interest: map[string]bool{}, trees: map[string]*treeWork{}}
	d.noteTrees([]abci.Event{{Type: "tree", Attributes: []abci.EventAttribute{{Key: "id", Value: "bb"}}},
		{Type: "node", Attributes: []abci.EventAttribute{{Key: "tree", Value: "aa"}}}})
	d.trees["aa"].sent[2] = 9
	d.noteTrees([]abci.Event{{Type: "node_proof", Attributes: []abci.EventAttribute{{Key: "tree", Value: "aa"}}}})
	if d.trees["aa"].sent[2] != 9 {
		t.Fatal("noting a known tree again lost what the daemon knew of it")
	}
	delete(d.trees, "bb")
	if err := d.saveState(); err != nil {
		t.Fatal(err)
	}
	again := &Daemon{cfg: Config{Dir: dir}, interest: map[string]bool{}}
	if err := again.loadState(); err != nil {
		t.Fatal(err)
	}
	if got := again.sortedTrees(); !slices.Equal(got, []string{"aa"}) {
		t.Fatalf("restored trees %v, want [aa]", got)
	}
}
