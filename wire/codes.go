package wire

// Code is the stable numeric result of a transaction. Codes are part of the
// public interface (clients branch on them): never renumber, only append.
type Code uint32

// Result codes. docs/CHAIN.md ("Transactions") lists them in the order a
// transaction's checks run, with when each applies.
const (
	CodeOK                Code = 0
	CodeMalformed         Code = 1  // not a decodable provernet transaction
	CodeOversize          Code = 2  // larger than params.max_tx_bytes
	CodeWrongChainID      Code = 3  // signed for another chain
	CodeBadSignature      Code = 4  // signature does not verify for the sender
	CodeWrongNonce        Code = 5  // nonce is not the sender's next nonce
	CodeFeeTooLow         Code = 6  // fee below the minimum for its size and messages
	CodeInsufficientFunds Code = 7  // the balance cannot pay the fee, or after it what a message moves, bonds, escrows or burns
	CodeUnknownMessage    Code = 8  // a message kind this chain does not know
	CodeInvalidMessage    Code = 9  // a known message with bad fields
	CodeNoMessages        Code = 10 // a transaction must carry at least one message
	CodeNotAllowed        Code = 11 // not this sender, or not now: its prover state, a slot not its own, a beacon entry outside a proposal's first slot
	CodeAlreadyExists     Code = 12 // a program deployed, a prover registered, or a sealed file submitted already
	CodeNotFound          Code = 13 // names a workload or program that does not exist
	CodeWindowClosed      Code = 14 // too early or too late for this message
	CodeMempoolBusy       Code = 15 // CheckTx only: ordinary transactions fill their share of the node's mempool
	CodeTooHeavy          Code = 16 // its weight is over params.max_block_weight: no block can carry it
	CodeLimitReached      Code = 17 // issue 17: a per-sender bound is reached (max_asks_per_prover)

	// issue 16: proof trees (docs/TREES.md). Numbered from 26 to leave
	// room for codes added meanwhile.
	CodeScoreTooLow   Code = 26 // a node proof's score does not beat the node's kept proofs it could replace
	CodeProofRejected Code = 27 // a node proof's outputs do not verify: not its sender's, or not what its inputs or children give

	// issue 19: validator staking (docs/CHAIN.md, "Validators").
	CodeValidatorLimit Code = 28 // max_validators validators are bonded already
	CodeLastValidator  Code = 29 // unbonding would leave the chain without a bonded validator: it would halt
	CodeBadPossession  Code = 30 // a CreateValidator whose consensus or VRF key does not prove possession: not a valid key, or a signature or proof that does not verify
	CodePowerCap       Code = 31 // a CreateValidator whose power would reach a third of the total bonded power, with what the recent blocks added
)

// Codespace names the code table in ABCI responses.
const Codespace = "provernet"

var codeNames = [...]string{
	CodeOK:                "ok",
	CodeMalformed:         "malformed",
	CodeOversize:          "oversize",
	CodeWrongChainID:      "wrong_chain_id",
	CodeBadSignature:      "bad_signature",
	CodeWrongNonce:        "wrong_nonce",
	CodeFeeTooLow:         "fee_too_low",
	CodeInsufficientFunds: "insufficient_funds",
	CodeUnknownMessage:    "unknown_message",
	CodeInvalidMessage:    "invalid_message",
	CodeNoMessages:        "no_messages",
	CodeNotAllowed:        "not_allowed",
	CodeAlreadyExists:     "already_exists",
	CodeNotFound:          "not_found",
	CodeWindowClosed:      "window_closed",
	CodeMempoolBusy:       "mempool_busy",
	CodeTooHeavy:          "too_heavy",
	CodeLimitReached:      "limit_reached",
	CodeScoreTooLow:       "score_too_low",
	CodeProofRejected:     "proof_rejected",
	CodeValidatorLimit:    "validator_limit",
	CodeLastValidator:     "last_validator",
	CodeBadPossession:     "bad_possession",
	CodePowerCap:          "power_cap",
}

// String returns the code's stable name.
func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return "unknown_code"
}
