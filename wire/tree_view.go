package wire

// Proof trees as the API shows them (GET /v1/trees/{id}; issue 16,
// docs/TREES.md). Amounts are uprv; nodes are in heap order, 1 the root.

// Tree is a proof tree: its reward and where it went, and its nodes.
type Tree struct {
	ID            string `json:"id"`
	Owner         string `json:"owner"`
	BaseProgram   string `json:"base_program"`
	MergeProgram  string `json:"merge_program"`
	N             uint32 `json:"n"`
	NumNodes      uint32 `json:"num_nodes"`
	ProofsPerNode uint32 `json:"proofs_per_node"`
	RewardUprv    uint64 `json:"reward_uprv"`
	NodeDeadline  int64  `json:"node_deadline"`
	Height        int64  `json:"height"`
	EndHeight     int64  `json:"end_height,omitempty"`
	State         string `json:"state"`
	Escrow        uint64 `json:"escrow"`
	Paid          uint64 `json:"paid"`
	Burned        uint64 `json:"burned"`
	Refunded      uint64 `json:"refunded"`
	// VoteEscrow is the vote fees of its pending proofs (a tree of
	// deployed programs; docs/TREES.md, "Verification").
	VoteEscrow uint64     `json:"vote_escrow,omitempty"`
	Winner     *uint32    `json:"winner,omitempty"` // the winning root proof's seq, once final
	Nodes      []TreeNode `json:"nodes"`
}

// TreeNode is one node of a tree: heap order, 1 the root.
type TreeNode struct {
	Node   uint32      `json:"node"`
	Phase  string      `json:"phase"`
	Opened int64       `json:"opened,omitempty"`
	Until  int64       `json:"until,omitempty"` // the first height after its current window
	Proofs []TreeProof `json:"proofs"`
	// Pending are proofs before their committees (a tree of deployed
	// programs); Deciding says its window ended with some.
	Pending  []TreeProof `json:"pending,omitempty"`
	Deciding bool        `json:"deciding,omitempty"`
}

// TreeProof is one kept proof of a node.
type TreeProof struct {
	Seq           uint32   `json:"seq"`
	Prover        string   `json:"prover"`
	FeeBurnBP     uint32   `json:"fee_burn_bp"`
	Score         uint64   `json:"score"`
	Left          []uint32 `json:"left,omitempty"`
	Right         []uint32 `json:"right,omitempty"`
	Outputs       string   `json:"outputs"`
	ProofSha256   string   `json:"proof_sha256,omitempty"`
	Height        int64    `json:"height"`
	StepIn        bool     `json:"step_in"`
	Pinned        bool     `json:"pinned"`
	InWinningTree bool     `json:"in_winning_tree"`
	PaidUprv      uint64   `json:"paid_uprv"`
	Total         uint64   `json:"total,omitempty"` // a root proof's total score
	// A pending proof's ballot, the last height it takes votes, its
	// round (from 0), the vote fee its prover escrowed, its committee
	// and each member's vote so far ("", "valid", "invalid", "copied").
	Ballot      uint64   `json:"ballot,omitempty"`
	VoteBy      int64    `json:"vote_by,omitempty"`
	Round       uint32   `json:"round,omitempty"`
	VoteFeeUprv uint64   `json:"vote_fee_uprv,omitempty"`
	Committee   []string `json:"committee,omitempty"`
	Votes       []string `json:"votes,omitempty"`
}
