package chain_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// BenchmarkWorkloadPage times one page of /workloads (100 records) on a
// chain of 5,000 workloads, beside a full scan of them (what the query
// did before it was paginated, while holding the block lock).
func BenchmarkWorkloadPage(b *testing.B) {
	f := newListFixture(&testing.T{}) // the fixture's helpers want a *testing.T; setup does not fail

	for range 50 {
		var txs [][]byte
		for range 100 {
			txs = append(txs, f.runTx(0))
		}
		f.c.block(txs...)
	}
	snap := f.c.app.Committed()
	start := time.Now()
	n := 0
	if err := protocol.Scan(snap, protocol.WorkloadPrefix(), func(*pb.Workload) bool { n++; return true }); err != nil {
		b.Fatal(err)
	}
	scan := time.Since(start)
	req := &abci.QueryRequest{Path: chain.PathWorkloads, Data: chain.ListRequest{Limit: 100}.Encode()}
	b.ResetTimer()
	for range b.N {
		if resp, err := f.c.app.Query(ctx, req); err != nil || resp.Code != 0 {
			b.Fatal(resp.Log, err)
		}
	}
	b.ReportMetric(float64(scan.Microseconds()), "full-scan-us")
	b.ReportMetric(float64(n), "workloads")
}
