package bench

import (
	"context"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestWeightSmall runs the weight benchmark with a small max_block_weight
// and checks that every kind's block was filled to it by the application's
// own PrepareProposal (Weight fails if ProcessProposal refuses a proposal
// or any transaction fails) and that the report adds up. It never checks a
// time.
func TestWeightSmall(t *testing.T) {
	const maxWeight = 20_000 // the least that carries a max_tx_bytes result
	res, err := Weight(context.Background(), WeightOptions{Provers: 300, MaxWeight: maxWeight, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"transfer", "deploy", "set_ask", "register_prover", "stake", "unbond", "withdraw", "run", "accept", "decline",
		"submit_result", "submit_result_1mib", "reveal_key", "vote", "vote_spread", "timers"}
	if len(res.Kinds) != len(want) || res.MaxBlockWeight != maxWeight || res.BlockTimeMs != 500 || res.GoalMs != 250 {
		t.Fatalf("report %+v", res)
	}
	var worst float64
	for i, k := range res.Kinds {
		if k.Kind != want[i] {
			t.Fatalf("kind %d is %q, want %q", i, k.Kind, want[i])
		}
		worst = max(worst, k.FinalizeMs)
		if k.Kind == "timers" {
			if k.Txs != 0 || k.Items == 0 || k.DueWeight != uint64(k.Items)*wire.WeightTimer {
				t.Errorf("timers: %+v", k)
			}
			continue
		}
		if k.Txs == 0 || k.Weight+k.DueWeight > maxWeight || k.FinalizeMs <= 0 || k.EmptyMs <= 0 || k.Bytes <= 0 {
			t.Errorf("%s: %+v", k.Kind, k)
		}
		// Full: another transaction of the kind would not have fitted.
		if k.Kind != "submit_result_1mib" && k.Weight+k.DueWeight < maxWeight*8/10 {
			t.Errorf("%s: weight %d (+%d due) of %d: the block is not full", k.Kind, k.Weight, k.DueWeight, maxWeight)
		}
		if (k.Kind == "vote" || k.Kind == "vote_spread") && k.Items < k.Txs {
			t.Errorf("%s: %d entries in %d txs", k.Kind, k.Items, k.Txs)
		}
	}
	if run := res.Kinds[7]; run.DueWeight == 0 {
		t.Errorf("the run block has no allocation due: %+v", run)
	}
	if res.WorstFinalizeMs != worst {
		t.Errorf("worst_finalize_ms %v, want %v", res.WorstFinalizeMs, worst)
	}
}
