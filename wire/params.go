package wire

import "github.com/provernet/provernet/wire/pb"

// Params is the chain parameters document /v1/params serves (docs/CHAIN.md,
// "Parameters", lists each with its default). Its JSON names and
// types are the chain's own, field for field: a test in internal/httpapi
// decodes what the server sends with unknown fields disallowed, so a
// parameter the chain gains must be added here too. Amounts are uprv,
// durations blocks, and _bp fields basis points (1/10000).
type Params struct {
	MaxTxBytes     uint64 `json:"max_tx_bytes"`     // encoded size of one transaction
	FeePerByte     uint64 `json:"fee_per_byte"`     // minimum fee: fee_per_byte * len(tx)
	FeePerMsg      uint64 `json:"fee_per_msg"`      // + fee_per_msg * len(messages)
	FeePerWeight   uint64 `json:"fee_per_weight"`   // + fee_per_weight * TxWeight
	MaxBlockWeight uint64 `json:"max_block_weight"` // a block's transactions and the work due at its height (weight.go)
	MaxProgramSize uint64 `json:"max_program_size"` // bytes of a deployed module
	MaxProofSize   uint64 `json:"max_proof_size"`   // bytes of a proof a prover may output
	MaxInlineInput uint64 `json:"max_inline_input"` // bytes of an input carried in a transaction; larger ones are blobs

	// The prover set.
	MinProverStake      uint64 `json:"min_prover_stake"`
	UnbondCooldown      int64  `json:"unbond_cooldown"`
	AdmissionChallenges uint32 `json:"admission_challenges"` // challenges passed before a prover is active
	ChallengeDeadline   int64  `json:"challenge_deadline"`
	ChallengeInterval   uint64 `json:"challenge_interval"` // 1/probability of a challenge per block
	ChallengeReward     uint64 `json:"challenge_reward"`
	EpochLength         int64  `json:"epoch_length"`
	MaxDeclinesPerEpoch uint32 `json:"max_declines_per_epoch"`

	// Workloads.
	MaxProversPerWorkload uint32   `json:"max_provers_per_workload"`
	PricePerMcycle        uint64   `json:"price_per_mcycle"`
	CyclesPerBlock        uint64   `json:"cycles_per_block"`
	AcceptWindow          int64    `json:"accept_window"`
	ReopenWindow          int64    `json:"reopen_window"` // 0: the original deadline
	SingleProverFloorBP   uint32   `json:"single_prover_floor_bp"`
	RewardTiersBP         []uint32 `json:"reward_tiers_bp"` // of the provers' pool, fastest first
	RevealWindow          int64    `json:"reveal_window"`
	VoteWindow            int64    `json:"vote_window"`
	CommitteeSize         uint32   `json:"committee_size"`
	SlashInvalidBP        uint32   `json:"slash_invalid_bp"`
	SlashCopyBP           uint32   `json:"slash_copy_bp"`
	SlashNoRevealBP       uint32   `json:"slash_no_reveal_bp"`

	ChallengeProgram   string `json:"challenge_program"` // hex program id; "": no challenges
	ChallengeCycles    uint64 `json:"challenge_cycles"`
	GPUClassMultiplier uint64 `json:"gpu_class_multiplier"`
	MaxInputs          uint32 `json:"max_inputs"`   // input files of one Run
	MaxDeadline        int64  `json:"max_deadline"` // a Run's longest deadline

	// The economics of a Run.
	MinSlotFee             uint64 `json:"min_slot_fee"`
	FeeBurnBP              uint32 `json:"fee_burn_bp"`
	VoteRewardBP           uint32 `json:"vote_reward_bp"`
	SlashWrongVoteBP       uint32 `json:"slash_wrong_vote_bp"`
	ResultLag              int64  `json:"result_lag"`
	ResultLagBP            uint32 `json:"result_lag_bp"`
	RegistrationFee        uint64 `json:"registration_fee"`
	WaitBlocks             int64  `json:"wait_blocks"`
	VoteRounds             uint32 `json:"vote_rounds"`
	SuspendBlocks          int64  `json:"suspend_blocks"`
	FullBlockBytes         uint64 `json:"full_block_bytes"`
	FullBlockWeightBP      uint32 `json:"full_block_weight_bp"`
	MaxVerifyCycles        uint64 `json:"max_verify_cycles"`        // 0: no cap
	ChallengeCommitteeSize uint32 `json:"challenge_committee_size"` // 0: committee_size

	// The market (docs/MARKET.md).
	MaxAsksPerProver   uint32 `json:"max_asks_per_prover"`     // 0: the market is off
	ReputationWindow   int64  `json:"reputation_window"`       // blocks; 0 keeps no reputation
	ClearingPricesKept uint32 `json:"clearing_prices_kept"`    // per program
	PoolSize           uint32 `json:"pool_size,omitempty"`     // provers per class and epoch; 0: the pool is off
	SlashMissBP        uint32 `json:"slash_miss_bp,omitempty"` // a drawn pool member's silence or missed promise
	// issue 16: proof trees (docs/TREES.md); nil on a chain whose genesis
	// predates them, which has trees off. Its fields are flat in the JSON.
	*TreeParams
	// issue 19: validator staking (docs/CHAIN.md, "Validators"); nil on a
	// chain whose genesis predates it, whose validator set stays the
	// genesis's. Its fields are flat in the JSON.
	*ValidatorParams
}

// ValidatorParams are validator staking's parameters (issue 19).
type ValidatorParams struct {
	MaxValidators           uint32 `json:"max_validators"` // 0: staking off
	MinValidatorStake       uint64 `json:"min_validator_stake"`
	PowerReduction          uint64 `json:"power_reduction"` // uprv of stake per unit of voting power
	ValidatorUnbondCooldown int64  `json:"validator_unbond_cooldown"`
	ValidatorUnbondTime     int64  `json:"validator_unbond_time_s"`
	ProposerFeeBP           uint32 `json:"proposer_fee_bp"` // of each non-critical transaction's fee, to the proposer's operator
	SlashDoubleSignBP       uint32 `json:"slash_double_sign_bp"`
	DowntimeWindow          int64  `json:"downtime_window"`        // heights a validator's missed blocks are counted over; also the power cap's window
	DowntimeMaxMissedBP     uint32 `json:"downtime_max_missed_bp"` // of downtime_window, the most blocks a bonded validator may miss before it is jailed
}

// TreeParams are the proof trees' parameters (issue 16).
type TreeParams struct {
	MaxTreeInputs     uint32 `json:"max_tree_inputs"` // 0: trees off
	ProofsPerNode     uint32 `json:"proofs_per_node"`
	MaxNodeDeadline   int64  `json:"max_node_deadline"`
	MinNodeDeadline   int64  `json:"min_node_deadline"`
	TreeUncleRewardBP uint32 `json:"tree_uncle_reward_bp"`
	TreeExpiryBurnBP  uint32 `json:"tree_expiry_burn_bp"`
	// A committee-verified tree's vote fee per member and committee size
	// (docs/TREES.md, "Verification").
	TreeVoteFee       uint64 `json:"tree_vote_fee"`
	TreeCommitteeSize uint32 `json:"tree_committee_size"`
	// The gnark pair's verifying keys (gnark's Groth16 WriteTo over
	// BN254): the base level's, then each merge level's from 1 up;
	// absent on a chain without the pair. wire.TreeGnarkPrograms names
	// the pair's programs from them.
	TreeGnarkBaseVK   []byte   `json:"tree_gnark_base_vk,omitempty"`
	TreeGnarkMergeVKs [][]byte `json:"tree_gnark_merge_vks,omitempty"`
}

// TxWeight is the weight of a transaction of size bytes carrying msgs
// under these parameters (weight.go).
func (p *Params) TxWeight(size int, msgs []*pb.Msg) uint64 {
	return TxWeight(size, msgs, p.AdmissionChallenges)
}

// MinFee is the smallest fee a transaction of size bytes carrying msgs
// must offer: fee_per_byte * size + fee_per_msg * len(msgs) +
// fee_per_weight * TxWeight.
func (p *Params) MinFee(size int, msgs []*pb.Msg) uint64 {
	return p.FeePerByte*uint64(max(size, 0)) + p.FeePerMsg*uint64(len(msgs)) + p.FeePerWeight*p.TxWeight(size, msgs)
}
