package protocol

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Params are the chain parameters: PROTOCOL.md 8's, less those of what
// the chain does not build (workload_reward: Runs mint nothing;
// proofs_per_node: proof trees), plus
// this implementation's own. docs/CHAIN.md ("Parameters") lists each with
// its default, and a test keeps that table and this struct equal. They
// live in genesis and in state; nothing in the code base hard-codes their
// values.
type Params struct {
	// MaxTxBytes caps the encoded size of one transaction.
	MaxTxBytes uint64 `json:"max_tx_bytes"`
	// FeePerByte, FeePerMsg and FeePerWeight set the minimum fee:
	// fee_per_byte * len(tx) + fee_per_msg * len(messages) +
	// fee_per_weight * weight, in uprv (MinFee; the weight is wire.TxWeight).
	FeePerByte   uint64 `json:"fee_per_byte"`
	FeePerMsg    uint64 `json:"fee_per_msg"`
	FeePerWeight uint64 `json:"fee_per_weight"`
	// MaxBlockWeight caps the weight of a block's transactions plus the
	// work due at its height for earlier blocks (weight.go): chosen so that
	// the heaviest block of any composition finishes FinalizeBlock within
	// half the block time on the reference machine (docs/CHAIN.md, "Block
	// weight").
	MaxBlockWeight uint64 `json:"max_block_weight"`
	// MaxProgramSize caps a deployed module (bytes).
	MaxProgramSize uint64 `json:"max_program_size"`
	// MaxProofSize caps the proof a prover may output (bytes).
	MaxProofSize uint64 `json:"max_proof_size"`
	// MaxInlineInput caps an input carried inside a transaction (bytes).
	MaxInlineInput uint64 `json:"max_inline_input"`

	// The prover set (PROTOCOL.md 4).
	MinProverStake      uint64 `json:"min_prover_stake"`     // uprv
	UnbondCooldown      int64  `json:"unbond_cooldown"`      // blocks
	AdmissionChallenges uint32 `json:"admission_challenges"` // challenges before active
	ChallengeDeadline   int64  `json:"challenge_deadline"`   // blocks
	ChallengeInterval   uint64 `json:"challenge_interval"`   // 1/probability per block
	ChallengeReward     uint64 `json:"challenge_reward"`     // uprv
	EpochLength         int64  `json:"epoch_length"`         // blocks
	MaxDeclinesPerEpoch uint32 `json:"max_declines_per_epoch"`

	// Workloads (PROTOCOL.md 5).
	MaxProversPerWorkload uint32   `json:"max_provers_per_workload"`
	PricePerMcycle        uint64   `json:"price_per_mcycle"` // uprv
	CyclesPerBlock        uint64   `json:"cycles_per_block"`
	AcceptWindow          int64    `json:"accept_window"`          // blocks
	ReopenWindow          int64    `json:"reopen_window"`          // blocks; 0: the original deadline
	SingleProverFloorBP   uint32   `json:"single_prover_floor_bp"` // basis points
	RewardTiersBP         []uint32 `json:"reward_tiers_bp"`        // basis points of the provers' pool, fastest first
	RevealWindow          int64    `json:"reveal_window"`          // blocks
	VoteWindow            int64    `json:"vote_window"`            // blocks
	CommitteeSize         uint32   `json:"committee_size"`
	SlashInvalidBP        uint32   `json:"slash_invalid_bp"`
	SlashCopyBP           uint32   `json:"slash_copy_bp"`
	SlashNoRevealBP       uint32   `json:"slash_no_reveal_bp"`

	// ChallengeProgram is the hex id of the benchmark program that admission
	// and random challenges run; "" disables challenges (provers are then
	// admitted on stake alone).
	ChallengeProgram string `json:"challenge_program"`
	// ChallengeCycles is the cycle budget of one challenge piece, about half
	// of which is its work (ChallengeShapeOf): with challenge_deadline it
	// sets how fast a machine must be to pass (docs/WORKLOADS.md).
	ChallengeCycles uint64 `json:"challenge_cycles"`
	// GPUClassMultiplier prices programs whose minimum hardware names a GPU
	// (the "gpu" resource class); every other program is class "cpu", x1.
	GPUClassMultiplier uint64 `json:"gpu_class_multiplier"`
	// MaxInputs caps the input files of one Run.
	MaxInputs uint32 `json:"max_inputs"`
	// MaxDeadline caps a Run's deadline (blocks).
	MaxDeadline int64 `json:"max_deadline"`

	// The economics of a Run (docs/WORKLOADS.md, "Who pays whom"). A Run
	// mints nothing: provers and voters are paid from its fee, and
	// fee_burn_bp of every paid slot is burned, so a user paying its own
	// provers always loses money.
	//
	// MinSlotFee is the least a slot costs, whatever its cycles (uprv).
	MinSlotFee uint64 `json:"min_slot_fee"`
	// FeeBurnBP of each final slot's fee share is burned.
	FeeBurnBP uint32 `json:"fee_burn_bp"`
	// VoteRewardBP of each slot's fee share pays the committee members
	// whose votes decided it (split evenly; the remainder is burned).
	VoteRewardBP uint32 `json:"vote_reward_bp"`
	// SlashWrongVoteBP is slashed from a member that voted against the
	// committee's decision before it was reached.
	SlashWrongVoteBP uint32 `json:"slash_wrong_vote_bp"`
	// ResultLag and ResultLagBP bound how long the other slots of a
	// workload may take after its first result: at least result_lag
	// blocks, or result_lag_bp of the time the first result took since
	// allocation if that is longer (LagEnd). Then the slots still unfilled
	// close and reveals open, so nobody holding a slot can delay everyone's
	// pay, and the first proof is verified while the user still wants it.
	ResultLag   int64  `json:"result_lag"`
	ResultLagBP uint32 `json:"result_lag_bp"`
	// RegistrationFee is burned by RegisterProver: a prover record costs
	// every block some work (the allocator reads the prover set), so
	// registering many must cost something even before any stake.
	RegistrationFee uint64 `json:"registration_fee"`
	// WaitBlocks is how long a workload's slots wait on the wait list to
	// be drawn for, from when they started waiting: it bounds the list,
	// and so each block's work, whatever Runs nobody can take are sent.
	WaitBlocks int64 `json:"wait_blocks"`
	// VoteRounds is how many committees may judge a proof: one that ends
	// its vote_window undecided is replaced by a fresh draw until the
	// last round, which ends undecided (the share refunded).
	VoteRounds uint32 `json:"vote_rounds"`
	// SuspendBlocks is how long a prover that used up its allowance of
	// declines and misses in an epoch sits out (suspended, not removed).
	SuspendBlocks int64 `json:"suspend_blocks"`
	// FullBlockBytes: a block whose protocol-critical transactions that
	// paid their fee take at least this many bytes is full. A window
	// (accept, the end of a proving time, reveal) whose every block was
	// full excuses its miss or slash (fill.go); 0 never excuses.
	FullBlockBytes uint64 `json:"full_block_bytes"`
	// FullBlockWeightBP: a block whose protocol-critical transactions
	// that paid their fee weigh at least this share of the block's room
	// (max_block_weight less the work due at its height) is full too, the
	// same way; 0 never.
	FullBlockWeightBP uint32 `json:"full_block_weight_bp"`
	// MaxVerifyCycles caps a verifier's budget: a program's declared
	// verify_cycles, or for programs that declare none the workload's
	// cycles. A verifier that runs out of its budget rejects the proof,
	// deterministically, so a verifier that loops costs each committee
	// member a bounded time and is voted invalid everywhere alike. 0: no
	// cap.
	MaxVerifyCycles uint64 `json:"max_verify_cycles"`
	// ChallengeCommitteeSize caps the committee of a challenge piece
	// (CommitteeSizeFor); 0: committee_size.
	ChallengeCommitteeSize uint32 `json:"challenge_committee_size"`

	// issue 17: the market beside the lottery (docs/MARKET.md).
	//
	// MaxAsksPerProver caps the asks one prover keeps (SetAsk); 0 turns
	// the market off (no asks are taken, market Runs are refused).
	MaxAsksPerProver uint32 `json:"max_asks_per_prover"`
	// ReputationWindow is the span, in blocks, of a prover's reputation
	// (final proofs over slots allotted, slashes): kept in
	// ReputationBuckets periods of reputation_window / ReputationBuckets
	// blocks each; 0 keeps none.
	ReputationWindow int64 `json:"reputation_window"`
	// ClearingPricesKept is how many recent clearing prices the chain
	// keeps per program for price discovery.
	ClearingPricesKept uint32 `json:"clearing_prices_kept"`
	// PoolSize is how many provers each resource class's pool holds for
	// an epoch (the pool mechanism, docs/MARKET.md); 0 turns the pool off
	// (pool Runs are refused), as max_asks_per_prover 0 does (members are
	// ranked by their asks). Left out of the stored record when 0, so a
	// genesis without the pool keeps its params record and app hash.
	PoolSize uint32 `json:"pool_size,omitempty"`
	// SlashMissBP is slashed (burned) from a pool member drawn for a slot
	// that stays silent through its accept window or misses the latency
	// it promised.
	SlashMissBP uint32 `json:"slash_miss_bp,omitempty"`
	// issue 16: proof trees (docs/TREES.md). Embedded so its fields
	// appear flat in the JSON; nil, as in a genesis that predates trees,
	// turns them off and writes none of them, so such a chain's params
	// record and app hash stay what they were. Read it through Trees().
	*TreeParams
	// issue 19: validator staking and income (docs/CHAIN.md,
	// "Validators"). Embedded like the tree parameters: nil, as in a
	// genesis that predates them, keeps the validator set fixed at genesis
	// and every fee burned, and writes none of them, so such a chain's
	// params record and app hash stay what they were. Read it through
	// Validators().
	*ValidatorParams
}

// ValidatorParams are validator staking's parameters (issue 19,
// docs/CHAIN.md "Validators").
type ValidatorParams struct {
	// MaxValidators caps the bonded validators (power > 0), genesis ones
	// included; 0 turns validator staking off.
	MaxValidators uint32 `json:"max_validators"`
	// MinValidatorStake is the least self_stake of a CreateValidator, so
	// that filling max_validators costs max_validators times it.
	MinValidatorStake uint64 `json:"min_validator_stake"`
	// PowerReduction is the uprv of stake per unit of CometBFT voting
	// power: power = stake / power_reduction.
	PowerReduction uint64 `json:"power_reduction"`
	// ValidatorUnbondCooldown is how many blocks after ValidatorUnbond (or
	// jailing) the stake stays bonded and slashable: at least 2, so that
	// the VRF key outlives the power update CometBFT applies two blocks
	// later; the genesis's evidence max_age_num_blocks should not exceed
	// it.
	ValidatorUnbondCooldown int64 `json:"validator_unbond_cooldown"`
	// ValidatorUnbondTime is how many seconds of block time (CometBFT's
	// BFT time, consensus data) after ValidatorUnbond or jailing the stake
	// stays bonded and slashable, beside the cooldown's blocks: light
	// clients (client/verify, state sync) trust a header for a duration,
	// so a stake must outlive that trust period, whatever the block rate.
	// 0 counts blocks only (devnets).
	ValidatorUnbondTime int64 `json:"validator_unbond_time_s"`
	// ProposerFeeBP of each transaction fee in a block goes to the block
	// proposer's operator; the rest is burned as before.
	ProposerFeeBP uint32 `json:"proposer_fee_bp"`
	// SlashDoubleSignBP of a validator's stake is burned for evidence of
	// double signing (ABCI misbehaviour), which also jails it.
	SlashDoubleSignBP uint32 `json:"slash_double_sign_bp"`
	// DowntimeWindow is how many recent heights a bonded validator's
	// signatures are counted over (validator_downtime.go); it is also the
	// window the power cap counts recently added power over
	// (validator_power.go).
	DowntimeWindow int64 `json:"downtime_window"`
	// DowntimeMaxMissedBP of DowntimeWindow is the most blocks a bonded
	// validator may miss in it: one more and it is jailed.
	DowntimeMaxMissedBP uint32 `json:"downtime_max_missed_bp"`
}

// MaxMissed is the most blocks of the last downtime_window a bonded
// validator may miss without being jailed.
func (v ValidatorParams) MaxMissed() int64 {
	return v.DowntimeWindow * int64(v.DowntimeMaxMissedBP) / 10000
}

// Validators returns validator staking's parameters and whether staking is
// on.
func (p Params) Validators() (ValidatorParams, bool) {
	if p.ValidatorParams == nil || p.ValidatorParams.MaxValidators == 0 {
		return ValidatorParams{}, false
	}
	return *p.ValidatorParams, true
}

// DefaultValidatorParams are validator staking's defaults, as docs/CHAIN.md
// lists them and argues them ("Validators", "Validator income").
func DefaultValidatorParams() ValidatorParams {
	return ValidatorParams{
		MaxValidators:           100,
		MinValidatorStake:       10_000 * uprvPerPRV,
		PowerReduction:          1_000 * uprvPerPRV,
		ValidatorUnbondCooldown: 100_000,
		ValidatorUnbondTime:     21 * 24 * 3600, // three weeks; light clients trust a header for one (CometBFT's default trust_period)
		ProposerFeeBP:           2_000,
		SlashDoubleSignBP:       500,
		DowntimeWindow:          10_000,
		DowntimeMaxMissedBP:     5_000,
	}
}

// validate checks validator staking's parameters.
func (v ValidatorParams) validate() error {
	var errs []error
	if v.MaxValidators > 10_000 {
		errs = append(errs, fmt.Errorf("max_validators %d is above 10000", v.MaxValidators))
	}
	if v.PowerReduction == 0 {
		errs = append(errs, errors.New("power_reduction must be positive"))
	}
	if v.MinValidatorStake < v.PowerReduction {
		errs = append(errs, fmt.Errorf("min_validator_stake %d is below power_reduction %d: a validator would have no power", v.MinValidatorStake, v.PowerReduction))
	}
	if v.ValidatorUnbondCooldown < 2 || v.ValidatorUnbondCooldown > 1<<40 {
		errs = append(errs, fmt.Errorf("validator_unbond_cooldown %d must be 2..2^40: CometBFT applies a power change two blocks later, and the VRF key must outlive it", v.ValidatorUnbondCooldown))
	}
	if v.ValidatorUnbondTime < 0 || v.ValidatorUnbondTime > 1<<40 {
		errs = append(errs, fmt.Errorf("validator_unbond_time_s %d must be 0..2^40", v.ValidatorUnbondTime))
	}
	if v.ProposerFeeBP >= 10000 {
		errs = append(errs, fmt.Errorf("proposer_fee_bp %d must be below 10000: a proposer must lose on every fee it pays itself (docs/CHAIN.md, \"Validator income\")", v.ProposerFeeBP))
	}
	if v.SlashDoubleSignBP > 10000 {
		errs = append(errs, fmt.Errorf("slash_double_sign_bp %d exceeds 10000 basis points", v.SlashDoubleSignBP))
	}
	if v.DowntimeWindow < minDowntimeWindow || v.DowntimeWindow > maxDowntimeWindow {
		errs = append(errs, fmt.Errorf("downtime_window %d must be %d..%d blocks", v.DowntimeWindow, minDowntimeWindow, maxDowntimeWindow))
	} else if v.MaxMissed()+downtimeSlack > v.DowntimeWindow {
		// A validator that never signs leaves CometBFT's set MaxMissed()+4
		// blocks after its CreateValidator at most; the power cap counts the
		// power added over the last downtime_window blocks, so that power
		// nobody runs never adds up past a third (docs/CHAIN.md).
		errs = append(errs, fmt.Errorf("downtime_max_missed_bp %d lets a validator miss %d of downtime_window %d blocks; at most the window less %d may be missed, so that a validator nobody runs leaves the set within the window the power cap covers", v.DowntimeMaxMissedBP, v.MaxMissed(), v.DowntimeWindow, downtimeSlack))
	}
	return errors.Join(errs...)
}

// TreeParams are the proof trees' parameters (issue 16).
type TreeParams struct {
	// MaxTreeInputs caps a ProveTree's inputs n (a power of two, 2..this).
	MaxTreeInputs uint32 `json:"max_tree_inputs"`
	// ProofsPerNode is how many proofs a node keeps, by highest score.
	ProofsPerNode uint32 `json:"proofs_per_node"`
	// MaxNodeDeadline caps a ProveTree's node_deadline (blocks).
	MaxNodeDeadline int64 `json:"max_node_deadline"`
	// MinNodeDeadline is the shortest node_deadline a ProveTree may ask:
	// every node's window is a collection window in which provers compete
	// by score, and one block is no competition (docs/TREES.md, "Life of
	// a tree").
	MinNodeDeadline int64 `json:"min_node_deadline"`
	// TreeExpiryBurnBP is the share of R burned when a tree expires (the
	// rest is refunded), so that an abandoned tree is not free
	// (docs/TREES.md, "Life of a tree").
	TreeExpiryBurnBP uint32 `json:"tree_expiry_burn_bp"`
	// TreeUncleRewardBP pays a kept proof left out of the winning tree
	// this share of what it would have been paid in it; 0 (the default)
	// pays uncles nothing (docs/TREES.md, "Uncles").
	TreeUncleRewardBP uint32 `json:"tree_uncle_reward_bp"`
	// TreeVoteFee is paid, per member that votes with the decision, to
	// the committee judging a node proof of a tree of deployed programs;
	// its prover escrows it for a full committee when it submits
	// (docs/TREES.md, "Verification").
	TreeVoteFee uint64 `json:"tree_vote_fee"`
	// TreeCommitteeSize caps such a committee (0: committee_size).
	TreeCommitteeSize uint32 `json:"tree_committee_size"`
	// TreeGnarkBaseVK and TreeGnarkMergeVKs are the gnark pair's Groth16
	// verifying keys over BN254 as gnark's VerifyingKey.WriteTo writes
	// them: the base level's, then merge level 1's, 2's and so on
	// (docs/TREES.md, "The gnark pair"). Without them the chain has no
	// gnark pair; with L merge levels it proves trees of up to 2^(L+1)
	// inputs with it. Omitted from the JSON when unset, so a chain
	// without them keeps its params record.
	TreeGnarkBaseVK   []byte   `json:"tree_gnark_base_vk,omitempty"`
	TreeGnarkMergeVKs [][]byte `json:"tree_gnark_merge_vks,omitempty"`
}

// Trees returns the proof trees' parameters and whether trees are on.
func (p Params) Trees() (TreeParams, bool) {
	if p.TreeParams == nil || p.TreeParams.MaxTreeInputs == 0 {
		return TreeParams{}, false
	}
	return *p.TreeParams, true
}

// DefaultTreeParams are the trees' defaults, as docs/CHAIN.md lists them.
func DefaultTreeParams() TreeParams {
	return TreeParams{MaxTreeInputs: 64, ProofsPerNode: 3, MaxNodeDeadline: 1000, MinNodeDeadline: 5,
		TreeUncleRewardBP: 0, TreeExpiryBurnBP: 1000, TreeVoteFee: 100, TreeCommitteeSize: 16}
}

// validate checks the trees' parameters.
func (t TreeParams) validate() error {
	var errs []error
	// At most 64: one record holds a tree's nodes and is rewritten by each
	// proof, and WeightSubmitNodeProof and WeightTreeTimer were measured
	// on a 64-input tree (docs/TREES.md, "Block weight").
	if t.MaxTreeInputs < 2 || t.MaxTreeInputs > 64 || t.MaxTreeInputs&(t.MaxTreeInputs-1) != 0 {
		errs = append(errs, fmt.Errorf("max_tree_inputs %d must be a power of two, 2..64", t.MaxTreeInputs))
	}
	if t.ProofsPerNode < 1 || t.ProofsPerNode > 16 {
		errs = append(errs, fmt.Errorf("proofs_per_node %d must be 1..16", t.ProofsPerNode))
	}
	if t.MaxNodeDeadline < 1 || t.MaxNodeDeadline > 1<<40 {
		errs = append(errs, fmt.Errorf("max_node_deadline %d must be 1..2^40", t.MaxNodeDeadline))
	}
	if t.MinNodeDeadline < 1 || t.MinNodeDeadline > t.MaxNodeDeadline {
		errs = append(errs, fmt.Errorf("min_node_deadline %d must be 1..max_node_deadline (%d)", t.MinNodeDeadline, t.MaxNodeDeadline))
	}
	if t.TreeExpiryBurnBP > 10000 {
		errs = append(errs, fmt.Errorf("tree_expiry_burn_bp %d exceeds 10000 basis points", t.TreeExpiryBurnBP))
	}
	if t.TreeUncleRewardBP > 10000 {
		errs = append(errs, fmt.Errorf("tree_uncle_reward_bp %d exceeds 10000 basis points", t.TreeUncleRewardBP))
	}
	if t.TreeVoteFee > 1<<40 {
		errs = append(errs, fmt.Errorf("tree_vote_fee %d exceeds 2^40 uprv", t.TreeVoteFee)) // times a committee stays in a uint64
	}
	if len(t.TreeGnarkBaseVK)+len(t.TreeGnarkMergeVKs) > 0 {
		g, err := newGnarkPair(t)
		if err == nil {
			err = g.validate()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DefaultParams are the parameters' defaults, as docs/CHAIN.md
// ("Parameters") lists them.
func DefaultParams() Params {
	return Params{
		MaxTxBytes:     1<<20 + 64<<10, // a 1 MiB proof inline plus its envelope
		FeePerByte:     1,
		FeePerMsg:      100,
		FeePerWeight:   1,
		MaxBlockWeight: 180_000,
		MaxProgramSize: 64 << 20,
		MaxProofSize:   1 << 20,
		MaxInlineInput: 64 << 10,

		MinProverStake:      1000 * uprvPerPRV,
		UnbondCooldown:      100,
		AdmissionChallenges: 1,
		ChallengeDeadline:   30,
		ChallengeInterval:   500,
		ChallengeReward:     uprvPerPRV / 10,
		EpochLength:         100,
		MaxDeclinesPerEpoch: 5,

		MaxProversPerWorkload:  5,
		PricePerMcycle:         10,
		CyclesPerBlock:         500_000_000,
		AcceptWindow:           3,
		ReopenWindow:           0,
		SingleProverFloorBP:    2500,
		RewardTiersBP:          []uint32{5000, 3000, 2000},
		RevealWindow:           10,
		FullBlockBytes:         4<<20 - (1<<20 + 64<<10) - 4<<10, // the 4 MiB proposal cap less one largest transaction and the beacon
		FullBlockWeightBP:      9000,
		MaxVerifyCycles:        100_000_000_000, // minutes of verification; succinct verifiers declare far less
		VoteWindow:             10,
		CommitteeSize:          64,
		ChallengeCommitteeSize: 5,
		SlashInvalidBP:         1000,
		SlashCopyBP:            10000,
		SlashNoRevealBP:        100,

		ChallengeProgram:   "",
		ChallengeCycles:    100_000_000_000,
		GPUClassMultiplier: 4,
		MaxInputs:          16,
		MaxDeadline:        1_000_000,

		MinSlotFee:       1000,
		FeeBurnBP:        500,
		VoteRewardBP:     1000,
		SlashWrongVoteBP: 100,
		ResultLag:        4,
		ResultLagBP:      5000,
		SuspendBlocks:    100,
		VoteRounds:       2,
		WaitBlocks:       200,
		RegistrationFee:  uprvPerPRV,

		MaxAsksPerProver:   16,
		ReputationWindow:   10_000,
		ClearingPricesKept: 32,
		PoolSize:           32,
		SlashMissBP:        500,
		TreeParams:         func() *TreeParams { t := DefaultTreeParams(); return &t }(),
		ValidatorParams:    func() *ValidatorParams { v := DefaultValidatorParams(); return &v }(),
	}
}

// uprvPerPRV is the number of base units in one PRV.
const uprvPerPRV = 1_000_000

// Validate checks that the parameters make a working chain.
func (p Params) Validate() error {
	var errs []error
	if p.MaxTxBytes < 256 {
		errs = append(errs, fmt.Errorf("max_tx_bytes %d is below 256", p.MaxTxBytes))
	}
	if p.UnbondCooldown < 0 || p.ChallengeDeadline < 1 || p.ChallengeInterval == 0 || p.EpochLength < 1 {
		errs = append(errs, errors.New("unbond_cooldown must be >= 0; challenge_deadline, challenge_interval and epoch_length >= 1"))
	}
	for _, bp := range []struct {
		name string
		v    uint32
	}{{"single_prover_floor_bp", p.SingleProverFloorBP}, {"slash_invalid_bp", p.SlashInvalidBP},
		{"slash_copy_bp", p.SlashCopyBP}, {"slash_no_reveal_bp", p.SlashNoRevealBP},
		{"fee_burn_bp", p.FeeBurnBP}, {"vote_reward_bp", p.VoteRewardBP}, {"slash_wrong_vote_bp", p.SlashWrongVoteBP},
		{"full_block_weight_bp", p.FullBlockWeightBP}, {"slash_miss_bp", p.SlashMissBP}} {
		if bp.v > 10000 {
			errs = append(errs, fmt.Errorf("%s %d exceeds 10000 basis points", bp.name, bp.v))
		}
	}
	if uint64(p.FeeBurnBP)+uint64(p.VoteRewardBP) > 10000 {
		errs = append(errs, fmt.Errorf("fee_burn_bp %d + vote_reward_bp %d exceed 10000 basis points", p.FeeBurnBP, p.VoteRewardBP))
	}
	if p.FeeBurnBP == 0 {
		errs = append(errs, errors.New("fee_burn_bp must be positive: without a burn a user paying its own provers loses only transaction fees"))
	}
	if p.WaitBlocks < 1 || p.WaitBlocks > 1<<40 {
		errs = append(errs, fmt.Errorf("wait_blocks %d must be 1..2^40", p.WaitBlocks))
	}
	if p.VoteRounds < 1 || p.VoteRounds > 8 {
		errs = append(errs, fmt.Errorf("vote_rounds %d must be 1..8", p.VoteRounds))
	}
	if p.ResultLagBP > 1_000_000 {
		errs = append(errs, fmt.Errorf("result_lag_bp %d is above 1000000 (100 times the first result's time)", p.ResultLagBP))
	}
	if p.ResultLag < 1 || p.ResultLag > 1<<40 || p.SuspendBlocks < 1 || p.SuspendBlocks > 1<<40 {
		errs = append(errs, errors.New("result_lag and suspend_blocks must be 1..2^40"))
	}
	if p.MaxProgramSize == 0 || p.MaxProofSize == 0 {
		errs = append(errs, errors.New("max_program_size and max_proof_size must be positive"))
	}
	if len(p.RewardTiersBP) == 0 {
		errs = append(errs, errors.New("reward_tiers_bp must list at least one tier"))
	}
	if p.MaxProversPerWorkload == 0 || p.MaxProversPerWorkload > 64 || p.CyclesPerBlock == 0 || p.PricePerMcycle == 0 {
		errs = append(errs, errors.New("max_provers_per_workload must be 1..64; cycles_per_block and price_per_mcycle positive"))
	}
	if p.AcceptWindow < 1 || p.RevealWindow < 1 || p.VoteWindow < 1 || p.ReopenWindow < 0 {
		errs = append(errs, errors.New("accept_window, reveal_window and vote_window must be >= 1; reopen_window >= 0"))
	}
	if p.CommitteeSize < 1 || p.MaxDeadline < 1 || p.MaxDeadline > 1<<40 || p.ReopenWindow > 1<<40 {
		errs = append(errs, errors.New("committee_size must be >= 1; max_deadline 1..2^40; reopen_window at most 2^40"))
	}
	if p.ChallengeProgram != "" {
		if id, err := hex.DecodeString(p.ChallengeProgram); err != nil || len(id) != 32 {
			errs = append(errs, fmt.Errorf("challenge_program %q is not a 32-byte hex program id", p.ChallengeProgram))
		}
	}
	if p.FeePerByte > 1<<20 || p.FeePerMsg > 1<<40 || p.FeePerWeight > 1<<20 {
		errs = append(errs, errors.New("fee parameters are absurdly large"))
	}
	if p.MaxBlockWeight > 1<<40 || p.AdmissionChallenges > 1<<10 {
		errs = append(errs, errors.New("max_block_weight must be at most 2^40 and admission_challenges at most 1024"))
	}
	if largest := p.TxWeight(int(min(p.MaxTxBytes, 1<<40)), []*pb.Msg{{Kind: &pb.Msg_SubmitResult{}}}); p.MaxBlockWeight < largest {
		errs = append(errs, fmt.Errorf("max_block_weight %d is below %d, the weight of a result of max_tx_bytes: the largest proof could never be included", p.MaxBlockWeight, largest))
	}
	if stake := p.TxWeight(1<<10, []*pb.Msg{{Kind: &pb.Msg_Stake{}}}); p.MaxBlockWeight < stake {
		errs = append(errs, fmt.Errorf("max_block_weight %d is below %d, the weight of a Stake that issues %d admission challenges: nobody could stake", p.MaxBlockWeight, stake, p.AdmissionChallenges))
	}
	if p.MaxAsksPerProver > 256 || p.ReputationWindow < 0 || p.ReputationWindow > 1<<40 || p.ClearingPricesKept > 1024 {
		errs = append(errs, errors.New("max_asks_per_prover must be at most 256, reputation_window 0..2^40, clearing_prices_kept at most 1024"))
	}
	if p.PoolSize > wire.MaxPoolSize {
		errs = append(errs, fmt.Errorf("pool_size %d must be at most %d", p.PoolSize, wire.MaxPoolSize))
	}
	if p.TreeParams != nil && p.TreeParams.MaxTreeInputs != 0 {
		errs = append(errs, p.TreeParams.validate())
		// a pending proof escrows tree_vote_fee for each member: committee_size
		// is not bounded, so the product is checked, not the fee alone
		if size := uint64(TreeCommitteeSize(p)); p.TreeVoteFee > 0 && size > (1<<62)/p.TreeVoteFee {
			errs = append(errs, fmt.Errorf("tree_vote_fee %d for each of %d members exceeds 2^62 uprv", p.TreeVoteFee, size))
		}
	}
	if p.ValidatorParams != nil && p.ValidatorParams.MaxValidators != 0 {
		errs = append(errs, p.ValidatorParams.validate())
	}
	return errors.Join(errs...)
}

// MinFee is the smallest fee a transaction of size bytes carrying msgs
// must offer: fee_per_byte * size + fee_per_msg * len(msgs) +
// fee_per_weight * its weight (TxWeight).
func (p Params) MinFee(size int, msgs []*pb.Msg) uint64 {
	return p.minFee(size, len(msgs), p.TxWeight(size, msgs))
}

// minFee is MinFee for a transaction whose weight is known.
func (p Params) minFee(size, msgs int, weight uint64) uint64 {
	return p.FeePerByte*uint64(max(size, 0)) + p.FeePerMsg*uint64(max(msgs, 0)) + p.FeePerWeight*weight
}
