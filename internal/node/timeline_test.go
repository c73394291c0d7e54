package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/wire"
)

// TestE2ETimelineAndHistory: a k = 3 Run taken to final by three honest
// provers reads back, from the node's indexes, as a timeline in the order
// things happened (run, then each slot allocated, accepted, submitted,
// revealed and decided, by settlement; the workload final, by
// settlement), naming the provers; and
// each prover's history shows its allocation, its valid decision and the
// reward settlement paid it, with the workload's record agreeing.
func TestE2ETimelineAndHistory(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	id := e.run(3)
	w := e.wait(id, 150*time.Second, "settlement", settled)
	if w.State != "final" {
		t.Fatalf("workload ended %s (%s)", w.State, w.Reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tl, err := e.c.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Workload != id || !tl.Complete {
		t.Fatalf("timeline of %s, complete %v", tl.Workload, tl.Complete)
	}
	for i := 1; i < len(tl.Entries); i++ {
		a, b := tl.Entries[i-1], tl.Entries[i]
		if a.Height > b.Height || (a.Height == b.Height && a.Index >= b.Index) {
			t.Errorf("entries %d and %d out of order: %+v, %+v", i-1, i, a, b)
		}
	}
	first := func(kind string, slot int64) (int64, string) {
		for _, en := range tl.Entries {
			if en.Kind == kind && en.Slot == slot {
				return en.Height, en.Prover
			}
		}
		t.Errorf("no %s entry for slot %d in %+v", kind, slot, tl.Entries)
		return 0, ""
	}
	run, _ := first("run", -1)
	final, _ := first("final", -1)
	settledAt, _ := first("settled", -1)
	if run == 0 || run != w.Height || final > settledAt || settledAt != w.SettledHeight {
		t.Errorf("run %d (workload height %d), final %d, settled %d (record %d)", run, w.Height, final, settledAt, w.SettledHeight)
	}
	for _, s := range w.Slots {
		slot := int64(s.Index)
		steps := []string{"allocated", "accepted", "submitted", "revealed", "decided"}
		var prev int64 = run + 1
		for _, kind := range steps {
			h, p := first(kind, slot)
			if h < prev || h > settledAt {
				t.Errorf("slot %d: %s at %d, after %d and by settlement at %d", slot, kind, h, prev, settledAt)
			}
			if kind == "allocated" && p != s.Prover {
				t.Errorf("slot %d allocated to %q; the record says %s", slot, p, s.Prover)
			}
			prev = h
		}
	}

	var votePaid uint64
	for i, k := range e.d.ProverKeys[:3] {
		var entries []wire.HistoryEntry
		opts := client.HistoryOptions{Limit: 7}
		for range 100 {
			page, err := e.c.ProverHistory(ctx, k.Address(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if page.Prover != k.Address() || len(page.Entries) > opts.Limit {
				t.Fatalf("prover%d: page of %s with %d entries", i, page.Prover, len(page.Entries))
			}
			entries = append(entries, page.Entries...)
			if page.Next == "" {
				break
			}
			opts.Cursor = page.Next
		}
		for j := 1; j < len(entries); j++ {
			a, b := entries[j-1], entries[j]
			if a.Height < b.Height || (a.Height == b.Height && a.Index < b.Index) {
				t.Errorf("prover%d: entries %d and %d not newest first: %+v, %+v", i, j-1, j, a, b)
			}
		}
		s := e.slotOf(w, i)
		if s == nil {
			t.Fatalf("prover%d holds no slot of %s", i, id)
		}
		var kinds []string
		var reward uint64
		for _, en := range entries {
			if en.Workload == id {
				kinds = append(kinds, en.Kind)
				if en.Kind == "reward" {
					reward = en.AmountUprv
				}
			}
		}
		for _, want := range []string{"registered", "staked"} {
			if !slices.ContainsFunc(entries, func(en wire.HistoryEntry) bool { return en.Kind == want }) {
				t.Errorf("prover%d: no %s entry", i, want)
			}
		}
		for _, want := range []string{"allocated", "accepted", "submitted", "revealed", "valid", "reward"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("prover%d: no %s entry for the workload: %v", i, want, kinds)
			}
		}
		if reward != s.FeePaid+s.Reward || reward == 0 {
			t.Errorf("prover%d: reward %d, the slot was paid %d", i, reward, s.FeePaid+s.Reward)
		}
		for _, en := range entries {
			if en.Kind == "vote_paid" {
				if en.AmountUprv == 0 || en.Workload != "" {
					t.Errorf("prover%d: vote_paid entry %+v", i, en)
				}
				votePaid += en.AmountUprv
			}
		}
	}
	// Every voter is one of these provers: their histories' vote pay
	// covers at least what this workload paid its committee.
	t.Logf("vote pay in the histories %d, the workload's voters_paid %d", votePaid, w.VotersPaid)
	if votePaid < w.VotersPaid {
		t.Errorf("the provers' histories show %d uprv of vote pay, the workload alone paid %d", votePaid, w.VotersPaid)
	}
}
