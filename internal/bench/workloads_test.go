package bench

import (
	"context"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
)

// TestWorkloadsSmall runs the workloads benchmark at a tiny scale and checks
// that the measured blocks carry what the report says and that every
// workload voted on settled final in its block. Workloads itself fails if
// any transaction fails or a cohort misses its phase; this test checks the
// report on top. It never checks a time.
func TestWorkloadsSmall(t *testing.T) {
	for _, votes := range []string{"all", "quorum"} {
		t.Run(votes, func(t *testing.T) {
			const provers, runs, results = 50, 10, 10
			res, err := Workloads(context.Background(), WorkloadsOptions{
				Provers: provers, Runs: runs, Results: results, Blocks: 2, Votes: votes, Dir: t.TempDir(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Blocks) != 4 {
				t.Fatalf("%d measured blocks, want 4", len(res.Blocks))
			}
			committee := provers - wlK // everyone but the workload's provers: fewer than committee_size
			if res.Committee != committee {
				t.Fatalf("committee %d, want %d", res.Committee, committee)
			}
			perSlot := committee
			if votes == "quorum" {
				perSlot = protocol.QuorumOf(committee)
			}
			var warm, cold int
			for i, b := range res.Blocks {
				if b.Warm {
					warm++
				} else {
					cold++
				}
				if b.Warm != (i%2 == 0) {
					t.Errorf("block %d: warm %v", i, b.Warm)
				}
				slots := results * wlK
				if b.Runs != runs || b.Allocated != results || b.Accepts != slots || b.Results != results ||
					b.ResultTxs != slots || b.Reveals != slots || b.Settled != results {
					t.Errorf("block %d: %+v", i, b)
				}
				if b.VoteEntries != slots*perSlot {
					t.Errorf("block %d: %d vote entries, want %d", i, b.VoteEntries, slots*perSlot)
				}
				// Each slot takes votes until 2/3 of its committee voted valid.
				quorum := protocol.QuorumOf(committee)
				if b.VotesApplied != slots*quorum {
					t.Errorf("block %d: %d votes applied, want %d", i, b.VotesApplied, slots*quorum)
				}
				if b.VoteTxs == 0 || b.VoteTxs > provers {
					t.Errorf("block %d: %d vote txs", i, b.VoteTxs)
				}
				if b.Txs != 1+b.Runs+b.Accepts+b.ResultTxs+b.Reveals+b.VoteTxs {
					t.Errorf("block %d: %d txs do not add up", i, b.Txs)
				}
				sum := 0
				for _, n := range b.BytesByKind {
					sum += n
				}
				if sum != b.Bytes || b.BytesByKind["submit"] < slots*wlProofBytes {
					t.Errorf("block %d: bytes %d, by kind %v", i, b.Bytes, b.BytesByKind)
				}
				if b.FinalizeMs <= 0 || b.CommitMs <= 0 || (b.Warm && b.CheckTxMs <= 0) {
					t.Errorf("block %d: times %+v", i, b)
				}
			}
			if warm != 2 || cold != 2 {
				t.Fatalf("%d warm and %d cold blocks", warm, cold)
			}
			if res.FinalizeMs <= 0 || res.FinalizeColdMs <= 0 || res.Settled != results || res.Reveals != results*wlK ||
				res.SealedBytes <= wlProofBytes || res.BlockBytes != res.Blocks[0].Bytes || res.WorkloadBytes <= 0 {
				t.Fatalf("report %+v", res)
			}
		})
	}
}
