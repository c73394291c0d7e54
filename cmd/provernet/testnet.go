package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/node"
)

func newTestnetCmd(g *globals) *cobra.Command {
	var dir, chainID string
	var validators, basePort int
	var fund []string
	var blockTime time.Duration
	var ch challengeFlags
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Create the homes of a multi-validator network on this machine",
		Long: `Creates DIR/node0 ... DIR/nodeN-1: one home per validator, each with its own
node, consensus and VRF keys, all sharing one genesis and peering on 127.0.0.1.
Validator i listens on BASE+10i (p2p), BASE+10i+1 (CometBFT RPC) and
BASE+10i+2 (API). Start each with provernet start --home DIR/nodeI.

Like init, the genesis deploys the benchmark program from --challenge-program
for hardware challenges (every home's blob store gets its modules), or, with
--no-challenges, admits provers on stake alone.`,
		Example: `  provernet testnet --validators 4 --dir ./testnet --fund prv1...=1000prv
  for i in 0 1 2 3; do provernet start --home ./testnet/node$i & done`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			accounts, err := parseFunds(fund)
			if err != nil {
				return err
			}
			progDir, err := ch.resolve()
			if err != nil {
				return err
			}
			homes, err := node.InitNetwork(node.NetworkOptions{
				Dir: dir, Validators: validators, ChainID: chainID,
				Ports: func(i int) (int, int, int) {
					p := basePort + 10*i
					return p, p + 1, p + 2
				},
				Configure: func(_ int, c *node.Config) { c.Chain.BlockTime = node.Duration{Duration: blockTime} },
			}, node.InitOptions{Accounts: accounts, ChallengeProgram: progDir})
			if err != nil {
				return err
			}
			return g.emit(map[string]any{"chain_id": chainID, "homes": homes}, func(w io.Writer) {
				fmt.Fprintf(w, "created %d validator homes for chain %s:\n", len(homes), chainID)
				for i, h := range homes {
					fmt.Fprintf(w, "  %s   API http://127.0.0.1:%d\n", h, basePort+10*i+2)
				}
				fmt.Fprintf(w, "start each with: provernet start --home HOME\n")
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./testnet", "directory for the validator homes")
	cmd.Flags().StringVar(&chainID, "chain-id", "provernet-testnet", "chain id")
	cmd.Flags().IntVar(&validators, "validators", 4, "number of validators")
	cmd.Flags().IntVar(&basePort, "base-port", 36656, "first port; validator i uses BASE+10i .. BASE+10i+2")
	cmd.Flags().StringArrayVar(&fund, "fund", nil, "fund an account in genesis: ADDRESS=AMOUNT (repeatable)")
	cmd.Flags().DurationVar(&blockTime, "block-time", time.Second, "pause after each commit")
	ch.register(cmd)
	return cmd
}
