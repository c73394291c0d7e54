package wire

import (
	"sort"
	"time"
)

// The JSON documents of the node's HTTP API (/v1). They are the API's
// contract: fields are only ever added.

// Status describes the node and the tip of its chain.
type Status struct {
	ChainID          string    `json:"chain_id"`
	NodeID           string    `json:"node_id"`
	Moniker          string    `json:"moniker"`
	Height           int64     `json:"height"`
	BlockHash        string    `json:"block_hash"`
	AppHash          string    `json:"app_hash"`
	BlockTime        time.Time `json:"block_time"`
	CatchingUp       bool      `json:"catching_up"`
	ValidatorAddress string    `json:"validator_address,omitempty"`
}

// Account is an account's committed state.
type Account struct {
	Address string `json:"address"`
	Balance uint64 `json:"balance"` // uprv
	Nonce   uint64 `json:"nonce"`   // the next nonce to use
	Height  int64  `json:"height"`  // the state's height
}

// BroadcastResult is the mempool's verdict on a transaction.
type BroadcastResult struct {
	Hash      string `json:"hash"`
	Code      uint32 `json:"code"`
	CodeName  string `json:"code_name"`
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log,omitempty"`
}

// TxResult is a committed transaction's outcome.
type TxResult struct {
	Hash      string  `json:"hash"`
	Height    int64   `json:"height"`
	Index     uint32  `json:"index"`
	Code      uint32  `json:"code"`
	CodeName  string  `json:"code_name"`
	Codespace string  `json:"codespace,omitempty"`
	Log       string  `json:"log,omitempty"`
	Events    []Event `json:"events,omitempty"`
}

// Event is one event a transaction emitted.
type Event struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs"`
}

// Beacon is the randomness beacon entry of one block.
type Beacon struct {
	Height   int64  `json:"height"`
	Proposer string `json:"proposer"` // consensus address, hex
	Pi       string `json:"pi"`       // VRF proof, hex
	Beta     string `json:"beta"`     // VRF output, hex
	PrevSeed string `json:"prev_seed"`
	Seed     string `json:"seed"`
}

// Block summarises one block.
type Block struct {
	Height   int64     `json:"height"`
	Hash     string    `json:"hash"`
	Time     time.Time `json:"time"`
	Proposer string    `json:"proposer"`
	NumTxs   int       `json:"num_txs"` // including the beacon entry
	AppHash  string    `json:"app_hash"`
	TxHashes []string  `json:"tx_hashes"`
}

// Supply is the chain's supply accounting.
type Supply struct {
	Genesis uint64 `json:"genesis"`
	Minted  uint64 `json:"minted"`
	Burned  uint64 `json:"burned"`
	Height  int64  `json:"height"`
}

// APIError is the body of every non-2xx response.
type APIError struct {
	Message string  `json:"error"`
	Code    APICode `json:"code,omitempty"` // the failure's kind (apicodes.go)
	Hint    string  `json:"hint,omitempty"`
}

func (e *APIError) Error() string { return e.Message }

// Program is a deployed proof system.
type Program struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Prover      *Module   `json:"prover,omitempty"`
	Verifier    *Module   `json:"verifier"`
	MinHardware *Hardware `json:"min_hardware,omitempty"`
	Owner       string    `json:"owner"`
	Height      int64     `json:"height"`
	// VerifyCycles is the verifier's budget per proof; 0: each Run's
	// cycles, at most the chain's max_verify_cycles.
	VerifyCycles uint64 `json:"verify_cycles"`
}

// Module names a WebAssembly module by hash and size.
type Module struct {
	SHA256 string `json:"sha256"`
	Size   uint64 `json:"size"`
}

// Hardware describes a machine or a program's minimum.
type Hardware struct {
	CPUCores uint32 `json:"cpu_cores"`
	MemoryMB uint64 `json:"memory_mb"`
	GPUs     []GPU  `json:"gpus,omitempty"`
	DiskGB   uint64 `json:"disk_gb"`
}

// GPU is one GPU.
type GPU struct {
	Model    string `json:"model"`
	MemoryMB uint64 `json:"memory_mb"`
}

// Prover is a registered prover.
type Prover struct {
	Address          string    `json:"address"`
	State            string    `json:"state"`
	Stake            uint64    `json:"stake"`
	Hardware         *Hardware `json:"hardware,omitempty"`
	MaxConcurrent    uint32    `json:"max_concurrent"`
	BlobEndpoint     string    `json:"blob_endpoint,omitempty"`
	Label            string    `json:"label,omitempty"`   // chosen at registration; may be empty
	HotKey           string    `json:"hot_key,omitempty"` // issue 19: the account that may send its routine messages
	VRFPublicKey     string    `json:"vrf_public_key"`
	RegisteredHeight int64     `json:"registered_height"`
	UnbondHeight     int64     `json:"unbond_height,omitempty"`
	// Standing (docs/WORKLOADS.md, "Misses, suspension and removal").
	Reason         string `json:"reason,omitempty"`          // why it is suspended or removed
	SuspendedUntil int64  `json:"suspended_until,omitempty"` // a suspended prover returns at this height (0: when topped up)
	Misses         uint32 `json:"misses"`                    // declines and misses in the current epoch's count
	Suspensions    uint64 `json:"suspensions"`
	Slashed        uint64 `json:"slashed"` // uprv burned from its stake, in total
	ProofsFinal    uint64 `json:"proofs_final"`
	VotesPaid      uint64 `json:"votes_paid"`  // votes that decided a slot
	WrongVotes     uint64 `json:"wrong_votes"` // votes against the decision, slashed
	Absences       uint64 `json:"absences"`
	// Reputation is its standing now (issue 17); a single prover's answer
	// carries it, lists do not.
	Reputation *Reputation `json:"reputation,omitempty"`
}

// Workload is a Run (or a challenge the chain made) and its k slots.
// States are lower-case names: pending, allocated, running, sealed,
// revealing, verifying, final, failed, rejected, expired (states.go).
type Workload struct {
	ID              string  `json:"id"`      // hex
	Program         string  `json:"program"` // hex program id
	Owner           string  `json:"owner,omitempty"`
	Inputs          []Input `json:"inputs"`
	Cycles          uint64  `json:"cycles"` // per prover
	K               uint32  `json:"k"`
	Recipient       string  `json:"recipient,omitempty"` // the owner's age recipient
	Height          int64   `json:"height"`              // included at
	Deadline        int64   `json:"deadline"`            // last height for submissions
	Fee             uint64  `json:"fee"`                 // uprv escrowed at inclusion
	Escrow          uint64  `json:"escrow"`              // uprv still held
	State           string  `json:"state"`
	Reason          string  `json:"reason,omitempty"` // why it ended, for a terminal state
	AllocatedHeight int64   `json:"allocated_height,omitempty"`
	RevealFrom      int64   `json:"reveal_from,omitempty"`
	FinalHeight     int64   `json:"final_height,omitempty"`
	Settled         bool    `json:"settled"`
	SettledHeight   int64   `json:"settled_height,omitempty"`
	Challenge       bool    `json:"challenge,omitempty"`
	Admission       bool    `json:"admission,omitempty"`
	Minted          uint64  `json:"minted"`
	Burned          uint64  `json:"burned"`
	Refunded        uint64  `json:"refunded"`
	VotersPaid      uint64  `json:"voters_paid"` // to the committee members that decided its slots
	Slots           []Slot  `json:"slots"`       // empty while pending
	// Market is a market Run's order (absent: the lottery); Missed the
	// nearest asks it missed when it matched none, or a pool Run's members
	// not drawn when its draw left slots open (issue 17).
	Market *MarketOrder `json:"market,omitempty"`
	Missed []AskMiss    `json:"missed,omitempty"`
}

// Input is one input file of a workload: inline bytes or a blob.
type Input struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // of the content, inline or blob
	Size   uint64 `json:"size"`
	Inline bool   `json:"inline"`
}

// Slot is one of a workload's k places for a proof. States are lower-case
// names: assigned, accepted, open, submitted, verifying, valid, invalid,
// failed, undecided, unrevealed, empty, copied (states.go).
type Slot struct {
	Index         uint32 `json:"index"`
	State         string `json:"state"`
	Prover        string `json:"prover,omitempty"`       // who holds or filled it now
	AllocatedTo   string `json:"allocated_to,omitempty"` // the prover the allocation drew; empty: none was eligible
	Released      string `json:"released,omitempty"`     // why the allocated prover let it go: declined, silent, timed_out
	Filled        bool   `json:"filled"`                 // filled from the open market
	AcceptBy      int64  `json:"accept_by,omitempty"`
	OpenUntil     int64  `json:"open_until,omitempty"`
	SealedSHA256  string `json:"sealed_sha256,omitempty"` // of the submitted age file
	Commit        string `json:"commit,omitempty"`        // SHA-256 of the temporary identity
	Outcome       string `json:"outcome,omitempty"`       // proof or fail, once submitted
	CyclesUsed    uint64 `json:"cycles_used"`
	SubmitHeight  int64  `json:"submit_height,omitempty"`
	RevealBy      int64  `json:"reveal_by,omitempty"`
	Identity      string `json:"identity,omitempty"` // the temporary identity, once revealed
	VoteBy        int64  `json:"vote_by,omitempty"`
	CommitteeSize int    `json:"committee_size"`
	ValidVotes    uint32 `json:"valid_votes"`
	InvalidVotes  uint32 `json:"invalid_votes"`
	CopiedVotes   uint32 `json:"copied_votes"`
	Ballot        uint64 `json:"ballot,omitempty"` // the verification round's ballot, what members vote on
	DecidedHeight int64  `json:"decided_height,omitempty"`
	Tier          uint32 `json:"tier"`     // 1-based rank among final proofs; 0: none
	Reward        uint64 `json:"reward"`   // network reward paid (challenges only), uprv
	FeePaid       uint64 `json:"fee_paid"` // the prover's pay from the owner's fee, uprv
	VotersPaid    uint64 `json:"voters_paid"`
	Burned        uint64 `json:"burned"`
	Due           int64  `json:"due,omitempty"`        // the height its prover promised (Accept.by)
	FailClaim     string `json:"fail_claim,omitempty"` // the prover whose fail re-opened it
	Waited        bool   `json:"waited,omitempty"`     // allotted from the wait list
	Round         uint32 `json:"round,omitempty"`      // verification round (a fresh committee each)
	Excused       bool   `json:"excused,omitempty"`    // a window of it closed while every block was full: no miss, no slash
	// A market slot's price (uprv, its ask's price times the mega-cycles),
	// the ask it was matched on and the height promised (issue 17).
	Price   uint64 `json:"price,omitempty"`
	AskID   uint32 `json:"ask_id,omitempty"`
	Promise int64  `json:"promise,omitempty"`
}

// FeeQuote is what a Run would cost:
// fee = provers * mcycles * price_per_mcycle * class_multiplier.
type FeeQuote struct {
	Program         string `json:"program"`
	Cycles          uint64 `json:"cycles"`
	Provers         uint32 `json:"provers"`
	Fee             uint64 `json:"fee"`      // uprv, escrowed by the Run
	PerSlot         uint64 `json:"per_slot"` // uprv per prover
	Mcycles         uint64 `json:"mcycles"`  // ceil(cycles / 10^6)
	PricePerMcycle  uint64 `json:"price_per_mcycle"`
	ClassMultiplier uint64 `json:"class_multiplier"` // gpu_class_multiplier for a GPU program, else 1
	MinDeadline     int64  `json:"min_deadline"`     // the shortest deadline (blocks) a Run may ask for
	MinSlotFee      uint64 `json:"min_slot_fee"`     // the least a slot costs; per_slot equals it when the cycles cost less
	// Mechanism is set for a market Run's quote (market, cheapest): fee
	// and per_slot are then its escrow at max_price (price_per_mcycle),
	// and Asks the asks it would match now, in slot order (issue 17).
	Mechanism string `json:"mechanism,omitempty"`
	Asks      []Ask  `json:"asks,omitempty"`
}

// Allocation explains how a workload's provers were drawn (docs/ALLOCATION.md),
// recomputed by the node from the state the allocation read, beside the
// slots the chain recorded.
type Allocation struct {
	Workload string `json:"workload"`
	Height   int64  `json:"height"`   // allocated at
	Seed     string `json:"seed"`     // the beacon seed of Height, hex
	R        string `json:"r"`        // SHA-256(seed || workload id), hex
	Position int    `json:"position"` // among the Runs allocated at Height
	K        int    `json:"k"`
	Eligible int    `json:"eligible"` // n, the eligible list's length
	// Excluded counts provers allocated at the previous height; AddedBack
	// says they were made eligible again because fewer than k were.
	Excluded  int  `json:"excluded"`
	AddedBack bool `json:"added_back"`
	// AcceptBelow is floor(2^64/n)*n, the bound on draw values (decimal);
	// AcceptAll is set instead when nothing is rejected for bias.
	AcceptBelow uint64             `json:"accept_below,string"`
	AcceptAll   bool               `json:"accept_all"`
	Draws       []AllocationDraw   `json:"draws"`
	Provers     []AllocationProver `json:"provers"`
	Drawn       []string           `json:"drawn"`  // the recomputed assignment: slot i goes to Drawn[i]
	Slots       []AllocationSlot   `json:"slots"`  // what the chain recorded
	Agrees      bool               `json:"agrees"` // Drawn is exactly the slots' allocated_to
	// Mechanism is set for a market Run (market, cheapest); Market then
	// says how it was matched, and Drawn lists the asks' provers taken
	// (issue 17).
	Mechanism string       `json:"mechanism,omitempty"`
	Market    *MarketMatch `json:"market,omitempty"`
}

// AllocationDraw is one counter value of the draw.
type AllocationDraw struct {
	Counter uint64 `json:"counter"`
	Value   uint64 `json:"value,string"` // first 8 bytes of SHA-256(r || counter), decimal
	Index   int    `json:"index"`        // value mod n; -1 when rejected for bias
	Outcome string `json:"outcome"`      // accepted, rejected_bias or rejected_repeat
	Prover  string `json:"prover,omitempty"`
}

// AllocationProver is one prover's standing for the workload.
type AllocationProver struct {
	Address string `json:"address"`
	// Reason: eligible, added_back, hardware, capacity, previous_round or
	// duplicate; Detail gives the specifics.
	Reason        string `json:"reason"`
	Detail        string `json:"detail,omitempty"`
	Held          uint64 `json:"held"`     // workloads held, counting earlier ones in the block
	InBlock       uint64 `json:"in_block"` // of which allocated earlier in the same block
	MaxConcurrent uint32 `json:"max_concurrent"`
	LastAllocated int64  `json:"last_allocated"`
	Index         int    `json:"index"` // position in the eligible list; -1: not eligible
}

// AllocationSlot is one slot as the chain records it.
type AllocationSlot struct {
	Index       uint32 `json:"index"`
	AllocatedTo string `json:"allocated_to,omitempty"`
	Prover      string `json:"prover,omitempty"`
	State       string `json:"state"`
}

// PendingResult is a result still in a node's mempool: it passed the
// node's admission check and is not in a block yet. Its Sealed file opens
// with the user's identity like any other.
type PendingResult struct {
	Slot       uint32 `json:"slot"`
	Prover     string `json:"prover"`
	Outcome    string `json:"outcome"`
	CyclesUsed uint64 `json:"cycles_used"`
	Sealed     []byte `json:"sealed"` // the age file (base64 in JSON)
	TxHash     string `json:"tx_hash"`
}

// WorkloadPage is one page of /v1/workloads, newest first.
type WorkloadPage struct {
	Workloads []Workload `json:"workloads"`
	Next      string     `json:"next"` // the cursor of the next page; empty on the last
}

// ProverPage is one page of /v1/provers, in address order.
type ProverPage struct {
	Provers []Prover `json:"provers"`
	Next    string   `json:"next"`
}

// Validator is a validator's record (issue 19, docs/CHAIN.md
// "Validators"): bonded (power > 0), unbonding, or jailed for double
// signing.
type Validator struct {
	Address       string `json:"address"`              // consensus address, upper-case hex as CometBFT prints it
	PubKey        string `json:"pub_key"`              // ed25519 consensus public key, hex
	Operator      string `json:"operator,omitempty"`   // the account that created it; empty for a genesis validator without one
	Status        string `json:"status"`               // bonded, unbonding, jailed or withdrawn
	JailedFor     string `json:"jailed_for,omitempty"` // a jailed validator's reason: double_sign (evidence) or downtime (missed blocks)
	Power         int64  `json:"power"`                // CometBFT voting power (0 once unbonding or jailed)
	Stake         uint64 `json:"stake"`                // uprv bonded (0 for a genesis validator)
	Slashed       uint64 `json:"slashed"`              // uprv burned for evidence
	CreatedHeight int64  `json:"created_height"`       // 0 for a genesis validator
	UnbondHeight  int64  `json:"unbond_height,omitempty"`
	UnbondTime    int64  `json:"unbond_time,omitempty"` // block time (unix seconds) from which the stake may be withdrawn, beside unbond_height
}

// ValidatorPage is one page of /v1/validators, in consensus address order.
type ValidatorPage struct {
	Validators []Validator `json:"validators"`
	Next       string      `json:"next"`
}

// ProgramPage is one page of /v1/programs, in id order.
type ProgramPage struct {
	Programs []Program `json:"programs"`
	Next     string    `json:"next"`
}

// FirstSubmitted is the slot whose result was included first (the one a
// user can open first), or nil.
func (w *Workload) FirstSubmitted() *Slot {
	var first *Slot
	for i := range w.Slots {
		s := &w.Slots[i]
		if s.SubmitHeight > 0 && (first == nil || s.SubmitHeight < first.SubmitHeight) {
			first = s
		}
	}
	return first
}

// SubmittedSlots lists the slots holding a result, the earliest submitted
// first (by index among those of one block).
func (w *Workload) SubmittedSlots() []Slot {
	var out []Slot
	for _, s := range w.Slots {
		if s.SubmitHeight > 0 {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SubmitHeight < out[j].SubmitHeight })
	return out
}

// FinalSlot is the slot whose proof became final first (the earliest
// decided valid slot, the lowest index among those decided together), or
// nil.
func (w *Workload) FinalSlot() *Slot {
	var best *Slot
	for i := range w.Slots {
		s := &w.Slots[i]
		if s.State == SlotValid && (best == nil || s.DecidedHeight < best.DecidedHeight) {
			best = s
		}
	}
	return best
}

// StreamEvent is one event of GET /v1/events (docs/API.md, "Events"):
// the data line of a Server-Sent Event whose id is "Height:Index". Its
// type and attributes are a block's or a transaction's Event.
type StreamEvent struct {
	Height int64             `json:"height"`
	Index  int               `json:"index"` // in the block's list: the chain's own events, then each transaction's
	Type   string            `json:"type"`
	Tx     string            `json:"tx,omitempty"` // the transaction's hash, for a transaction's events
	Attrs  map[string]string `json:"attrs"`
}
