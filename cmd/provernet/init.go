package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

func newInitCmd(g *globals) *cobra.Command {
	var chainID, moniker, genesis, peers string
	var fund []string
	var blockTime time.Duration
	var ch challengeFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home: config, keys, VRF key and a one-validator genesis",
		Long: `Creates a node home: config, node and validator keys, a VRF key and a genesis
in which this node is the only validator.

The genesis deploys the benchmark program from --challenge-program (built by
` + "`make programs`" + `) and names it challenge_program, so that every prover passes
admission challenges sized to its declared hardware before it is active, and
active provers are challenged at random; the modules go into the home's blob
store. Without the built program init refuses, unless --no-challenges.

With --genesis, the home joins a running network instead: the network's
genesis is copied as it is and --peers become the persistent peers; the node
starts as a full node, and ` + "`provernet tx validator create --consensus-key-from HOME`" + `
makes it a validator (docs/OPERATIONS.md, "Joining as a validator").`,
		Example: `  provernet init --home ./node --chain-id my-chain --fund prv1...=1000prv
  provernet init --home ./node --challenge-program ./build/programs/bench
  provernet start --home ./node
  provernet init --home ./val5 --genesis ./genesis.json --peers ID@10.0.0.1:26656,ID@10.0.0.2:26656`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if genesis != "" {
				return initJoin(g, cmd, genesis, moniker, peers, blockTime)
			}
			accounts, err := parseFunds(fund)
			if err != nil {
				return err
			}
			cfg := node.DefaultConfig()
			if moniker != "" {
				cfg.Moniker = moniker
			}
			cfg.Chain.BlockTime = node.Duration{Duration: blockTime}
			dir, err := ch.resolve()
			if err != nil {
				return err
			}
			res, err := node.Init(g.home, node.InitOptions{ChainID: chainID, Config: &cfg, Accounts: accounts, ChallengeProgram: dir})
			if errors.Is(err, node.ErrInitialized) {
				return cli.WithHint(err, "use another --home, or remove that directory to start over")
			}
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "initialized %s (chain %s)\n", res.Home, res.ChainID)
				fmt.Fprintf(w, "  node id            %s\n  validator address  %s\n  VRF public key     %s\n  genesis            %s\n",
					res.NodeID, res.ValidatorAddress, res.VRFPublicKey, res.Genesis)
				if res.ChallengeProgram != "" {
					fmt.Fprintf(w, "  challenge program  %s (hardware challenges on)\n", res.ChallengeProgram)
				} else {
					fmt.Fprintf(w, "  challenges         off (--no-challenges): provers are admitted on stake alone\n")
				}
				fmt.Fprintf(w, "start it with: provernet start --home %s\n", res.Home)
			})
		},
	}
	cmd.Flags().StringVar(&chainID, "chain-id", "provernet-local", "chain id written into the genesis")
	cmd.Flags().StringVar(&moniker, "moniker", "", "this node's name")
	cmd.Flags().StringArrayVar(&fund, "fund", nil, "fund an account in genesis: ADDRESS=AMOUNT (repeatable)")
	cmd.Flags().DurationVar(&blockTime, "block-time", time.Second, "pause after each commit (CometBFT timeout_commit)")
	cmd.Flags().StringVar(&genesis, "genesis", "", "join a running network: its genesis file (no genesis is made)")
	cmd.Flags().StringVar(&peers, "peers", "", "with --genesis: the network's nodes, ID@HOST:PORT,... (p2p.persistent_peers)")
	ch.register(cmd)
	return cmd
}

// initJoin is init --genesis: a home that joins a running network.
func initJoin(g *globals, cmd *cobra.Command, genesis, moniker, peers string, blockTime time.Duration) error {
	for _, f := range []string{"chain-id", "fund", "challenge-program", "no-challenges"} {
		if fl := cmd.Flags().Lookup(f); fl != nil && fl.Changed {
			return cli.WithHint(fmt.Errorf("--%s makes a genesis; --genesis copies the network's", f), "leave it out")
		}
	}
	doc, err := os.ReadFile(genesis)
	if err != nil {
		return err
	}
	cfg := node.DefaultConfig()
	if moniker != "" {
		cfg.Moniker = moniker
	}
	cfg.Chain.BlockTime = node.Duration{Duration: blockTime}
	cfg.P2P.PersistentPeers = peers
	res, err := node.Join(g.home, doc, cfg)
	if errors.Is(err, node.ErrInitialized) {
		return cli.WithHint(err, "use another --home, or remove that directory to start over")
	}
	if err != nil {
		return err
	}
	return g.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "initialized %s to join chain %s\n", res.Home, res.ChainID)
		fmt.Fprintf(w, "  node id            %s\n  validator address  %s\n  VRF public key     %s\n  genesis            %s\n",
			res.NodeID, res.ValidatorAddress, res.VRFPublicKey, res.Genesis)
		fmt.Fprintf(w, "start it with: provernet start --home %s\n", res.Home)
		fmt.Fprintf(w, "once it has caught up: provernet tx validator create --from KEY --consensus-key-from %s --stake AMOUNT --wait\n", res.Home)
	})
}

func parseFunds(specs []string) ([]protocol.GenesisAccount, error) {
	var out []protocol.GenesisAccount
	for _, s := range specs {
		addr, amt, ok := strings.Cut(s, "=")
		if !ok {
			return nil, cli.WithHint(fmt.Errorf("invalid --fund %q", s), "write --fund prv1...=1000prv")
		}
		a, err := address.Parse(addr)
		if err != nil {
			return nil, err
		}
		n, err := parseAmount(amt)
		if err != nil {
			return nil, err
		}
		out = append(out, protocol.GenesisAccount{Address: a, Balance: n})
	}
	return out, nil
}
