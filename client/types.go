package client

import "time"

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
	Message string `json:"error"`
	Hint    string `json:"hint,omitempty"`
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
	VRFPublicKey     string    `json:"vrf_public_key"`
	RegisteredHeight int64     `json:"registered_height"`
	UnbondHeight     int64     `json:"unbond_height,omitempty"`
}
