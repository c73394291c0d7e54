package wire

// Timeline is GET /v1/workloads/{id}/timeline: what happened to a workload,
// block by block, read from the node's transaction and block indexes.
type Timeline struct {
	Workload string          `json:"workload"`
	Entries  []TimelineEntry `json:"entries"` // height, then event order within the block
	// Complete is false when the workload's events named more blocks than
	// the node reads for one answer (the entries then stop early).
	Complete bool `json:"complete"`
}

// TimelineEntry is one step of a workload's life.
type TimelineEntry struct {
	Height int64  `json:"height"`
	Index  int    `json:"index"` // the event's place in the block, as GET /v1/events numbers it
	Kind   string `json:"kind"`  // run, allocated, accepted, declined, released, submitted, revealed, voted, decided, final, failed, expired, settled, ...
	Slot   int64  `json:"slot"`  // -1 for the workload as a whole
	Prover string `json:"prover"`
	Tx     string `json:"tx"` // the transaction's hash; empty for the chain's own events
	Detail string `json:"detail"`
}

// ProverHistory is GET /v1/provers/{address}/history: a page of what
// happened to a prover, newest first.
type ProverHistory struct {
	Prover  string         `json:"prover"`
	Entries []HistoryEntry `json:"entries"`
	// Next is the cursor of the following (older) page, empty at the
	// prover's first event. A page shorter than the limit with a Next
	// means the node stopped reading early: keep going.
	Next string `json:"next"`
}

// HistoryEntry is one event of a prover's history.
type HistoryEntry struct {
	Height     int64  `json:"height"`
	Index      int    `json:"index"`
	Kind       string `json:"kind"` // allocated, accepted, declined, timed_out, submitted, valid, invalid, reward, voted, vote_paid, slashed, suspended, ...
	Workload   string `json:"workload"`
	Slot       int64  `json:"slot"` // -1 when the event names no slot
	AmountUprv uint64 `json:"amount_uprv"`
	Tx         string `json:"tx"`
	Detail     string `json:"detail"`
}
