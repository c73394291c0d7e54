package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// DevnetOptions describe a one-validator development network.
type DevnetOptions struct {
	Home      string           // created if it has no genesis; resumed otherwise
	Accounts  int              // funded dev accounts (dev0, dev1, ...)
	Provers   int              // funded prover accounts (prover0, ...), each run by a daemon
	Balance   uint64           // uprv per dev account
	BlockTime time.Duration    // 0: 500ms
	Params    *protocol.Params // nil: DevnetParams
	// ChallengeProgram is the built benchmark program's directory (see
	// InitOptions); "" runs the devnet without challenges.
	ChallengeProgram string
	Node             Options
}

// DevnetDefaults are the devnet's defaults.
var DevnetDefaults = DevnetOptions{Accounts: 4, Provers: 3, Balance: 1_000_000 * 1_000_000, BlockTime: 500 * time.Millisecond}

// Devnet is a running devnet, its dev account keys and its provers' keys.
type Devnet struct {
	*Node
	Keys       []*client.Key // dev0, dev1, ...
	ProverKeys []*client.Key // prover0, prover1, ... (run by StartProvers)
	Created    bool          // the home was created now, not resumed
}

// StartDevnet initializes opts.Home if needed and starts its node.
func StartDevnet(ctx context.Context, opts DevnetOptions) (*Devnet, error) {
	d := &Devnet{}
	if _, err := os.Stat(GenesisFile(opts.Home)); os.IsNotExist(err) {
		if err := initDevnet(opts); err != nil {
			return nil, err
		}
		d.Created = true
	}
	keys, err := client.ListKeys(KeysDir(opts.Home))
	if err != nil {
		return nil, err
	}
	n, err := Start(ctx, opts.Home, opts.Node)
	if err != nil {
		return nil, err
	}
	d.Node, d.ProverKeys = n, proverKeys(keys)
	for _, k := range keys {
		if !slices.Contains(d.ProverKeys, k) {
			d.Keys = append(d.Keys, k)
		}
	}
	return d, nil
}

func initDevnet(opts DevnetOptions) error {
	if opts.Accounts < 1 {
		return fmt.Errorf("a devnet needs at least one account, got %d", opts.Accounts)
	}
	accounts := make([]protocol.GenesisAccount, 0, opts.Accounts+opts.Provers)
	names := make([]string, 0, opts.Accounts+opts.Provers)
	for i := 0; i < opts.Accounts; i++ {
		names = append(names, fmt.Sprintf("dev%d", i))
	}
	for i := 0; i < opts.Provers; i++ {
		names = append(names, fmt.Sprintf("prover%d", i))
	}
	for _, name := range names {
		k, err := client.GenerateKey(name)
		if err != nil {
			return err
		}
		if err := client.SaveKey(KeysDir(opts.Home), k); err != nil {
			return err
		}
		accounts = append(accounts, protocol.GenesisAccount{Address: address.FromPublicKey(k.PublicKey()), Balance: opts.Balance})
	}
	cfg := DefaultConfig()
	cfg.Moniker = "devnet-validator"
	cfg.Chain.BlockTime = Duration{opts.BlockTime}
	if cfg.Chain.BlockTime.Duration == 0 {
		cfg.Chain.BlockTime.Duration = DevnetDefaults.BlockTime
	}
	cfg.P2P.Listen = "tcp://127.0.0.1:26656"
	cfg.Log.Level = "info"
	params := DevnetParams()
	if opts.Params != nil {
		params = *opts.Params
	}
	_, err := Init(opts.Home, InitOptions{ChainID: "provernet-devnet", Config: &cfg, Accounts: accounts, Params: &params,
		ChallengeProgram: opts.ChallengeProgram})
	return err
}

// DevnetParams are the devnet's chain parameters: PROTOCOL.md 8's defaults
// with the answer, reveal and vote windows and the result lag widened,
// because devnet blocks come every few hundred milliseconds while a prover
// compiles and runs a prover or a verifier in seconds. When the devnet has
// a challenge program, its challenges suit three provers on a 2-core
// laptop: a devnet prover (DevnetProver) gets one piece of 1024 MiB, one
// segment (about 5*10^10 cycles, 10 to 20 s on a laptop core), due within
// 240 blocks (two minutes: the devnet demonstrates challenges, it cannot
// time a laptop shared by three provers), and a random challenge about
// every 1200 blocks (10 minutes) per prover. A validator's unbonding takes
// 100 blocks instead of 100,000, and its downtime is counted over 1,000
// blocks instead of 10,000.
func DevnetParams() protocol.Params {
	p := protocol.DefaultParams()
	p.AcceptWindow = 20
	p.RevealWindow = 60
	p.VoteWindow = 120
	p.ResultLag = 120
	p.AdmissionChallenges = 1
	p.ChallengeDeadline = 240
	p.ChallengeInterval = 1200
	p.ChallengeCycles = 20_000_000_000
	// issue 19: a try-out network's validators leave in minutes, not a
	// day (evidence lands within a block or two here).
	vp := protocol.DefaultValidatorParams()
	vp.ValidatorUnbondCooldown = 100
	vp.ValidatorUnbondTime = 0 // blocks only: no light client trusts a try-out network's headers for a week
	// A validator down for 500 of 1,000 blocks (about four minutes) is
	// jailed, and the power cap's window is 1,000 blocks, not 10,000.
	vp.DowntimeWindow = 1000
	p.ValidatorParams = &vp
	return p
}

// DevnetProver is what each devnet prover declares: one core and the
// 1024 MiB the example programs require, so that its challenge is one
// piece of 1024 MiB.
var DevnetProver = struct {
	CPUCores uint32
	MemoryMB uint64
}{1, 1024}
