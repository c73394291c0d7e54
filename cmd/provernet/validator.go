package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// newTxValidatorCmd is `tx validator create|unbond|withdraw` (issue 19,
// docs/OPERATIONS.md "Joining as a validator").
func newTxValidatorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "validator", Short: "Bond stake into a validator of your node, unbond it and withdraw"}
	var from, keyFrom, vrfFile, validator string
	var wait bool
	send := func(cmd *cobra.Command, msg *client.Msg) error {
		key, err := g.loadKey(from)
		if err != nil {
			return err
		}
		return g.sendAndReport(cmd.Context(), key, 0, wait, 30*time.Second, msg)
	}
	var stake string
	create := &cobra.Command{
		Use:   "create",
		Short: "Make --from the operator of a new validator: the node's consensus and VRF keys, and a self-stake",
		Long: `Bonds --stake from --from's balance into a validator whose consensus key and VRF
key are a node's: --consensus-key-from names the node's home (its
config/priv_validator_key.json and config/vrf_key.json) or a
priv_validator_key.json file (its VRF key: --vrf-key, or vrf_key.json beside
it). It sends the public keys and their proofs of possession: the
consensus key signs the chain id, --from's address and the VRF key, and
the VRF key proves the chain id and --from's address, so run it where
the node's key files are; the private keys are not sent. The validator's voting power is
stake / power_reduction; CometBFT applies it two blocks after the
transaction commits, and from then on the node signs and proposes blocks:
keep it running. At most max_validators validators are bonded at once.`,
		Example: `  provernet tx validator create --from alice --consensus-key-from ~/.provernet-node2 --stake 10000prv --wait`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			amount, err := parseAmount(stake)
			if err != nil {
				return err
			}
			key, err := g.loadKey(from)
			if err != nil {
				return err
			}
			st, err := g.client().Status(cmd.Context())
			if err != nil {
				return nodeErr(err)
			}
			keys, err := node.ProveValidatorKeys(keyFrom, vrfFile, st.ChainID, address.FromPublicKey(key.PublicKey()))
			if err != nil {
				return cli.WithHint(err, "--consensus-key-from is the node's home, or its config/priv_validator_key.json")
			}
			msg := client.CreateValidatorMsg(keys.ConsensusPublicKey, keys.VRFPublicKey, amount, keys.ConsensusPoP, keys.VRFPoP)
			return g.sendAndReport(cmd.Context(), key, 0, wait, 30*time.Second, msg)
		},
	}
	create.Flags().StringVar(&keyFrom, "consensus-key-from", "", "the validator node's home, or its priv_validator_key.json (required)")
	create.Flags().StringVar(&vrfFile, "vrf-key", "", "the node's VRF key file (default: HOME/config/vrf_key.json, or vrf_key.json beside the key file)")
	create.Flags().StringVar(&stake, "stake", "", "self-stake to bond, e.g. 10000prv (required)")
	_ = create.MarkFlagRequired("consensus-key-from")
	_ = create.MarkFlagRequired("stake")
	// which validator unbond and withdraw name: --validator or the keys.
	address := func() ([]byte, error) {
		switch {
		case validator != "" && keyFrom != "":
			return nil, errors.New("give --validator or --consensus-key-from, not both")
		case validator != "":
			b, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(validator), "0x"))
			if err != nil || len(b) != 20 {
				return nil, cli.WithHint(fmt.Errorf("--validator %q is not a 20-byte consensus address in hex", validator), "`provernet query validators` lists them")
			}
			return b, nil
		case keyFrom != "":
			keys, err := node.ReadValidatorKeys(keyFrom, vrfFile)
			if err != nil {
				return nil, err
			}
			return keys.ConsensusAddress, nil
		}
		return nil, errors.New("name the validator: --validator ADDRESS or --consensus-key-from HOME")
	}
	unbond := &cobra.Command{
		Use: "unbond", Short: "Start leaving: power 0 at once, the stake unlocks after validator_unbond_cooldown blocks", Args: cobra.NoArgs,
		Example: "  provernet tx validator unbond --from alice --consensus-key-from ~/.provernet-node2 --wait",
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := address()
			if err != nil {
				return err
			}
			return send(cmd, client.ValidatorUnbondMsg(addr))
		},
	}
	withdraw := &cobra.Command{
		Use: "withdraw", Short: "Return an unbonded validator's unlocked stake to --from", Args: cobra.NoArgs,
		Example: "  provernet tx validator withdraw --from alice --validator 1F3A...C0DE --wait",
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := address()
			if err != nil {
				return err
			}
			return send(cmd, client.ValidatorWithdrawMsg(addr))
		},
	}
	for _, c := range []*cobra.Command{unbond, withdraw} {
		c.Flags().StringVar(&validator, "validator", "", "the validator's consensus address (hex, as `query validators` prints it)")
		c.Flags().StringVar(&keyFrom, "consensus-key-from", "", "or the validator node's home, or its priv_validator_key.json")
		c.Flags().StringVar(&vrfFile, "vrf-key", "", "with a key file: the node's VRF key file")
	}
	for _, c := range []*cobra.Command{create, unbond, withdraw} {
		c.Flags().StringVar(&from, "from", "", "the operator's account key (required)")
		c.Flags().BoolVar(&wait, "wait", false, "wait until committed")
		_ = c.MarkFlagRequired("from")
		cmd.AddCommand(c)
	}
	return cmd
}

// newQueryValidatorsCmd lists the validator records as a table (or JSON).
func newQueryValidatorsCmd(g *globals) *cobra.Command {
	var o client.ListOptions
	cmd := &cobra.Command{
		Use: "validators", Short: "The validators: bonded, unbonding and jailed, with power, stake and operator", Args: cobra.NoArgs,
		Long: `Lists the chain's validator records (docs/CHAIN.md, "Validators") in consensus
address order. A chain whose genesis predates validator staking has none:
its validator set is the genesis's (CometBFT's /validators lists it).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var vs []wire.Validator
			var v any
			var next string
			if cmd.Flags().Changed("limit") || cmd.Flags().Changed("cursor") {
				p, err := g.client().ValidatorsPage(cmd.Context(), o)
				if err != nil {
					return nodeErr(err)
				}
				vs, next, v = p.Validators, p.Next, p
			} else {
				all, err := g.client().Validators(cmd.Context())
				if err != nil {
					return nodeErr(err)
				}
				vs, v = all, all
			}
			return g.emit(v, func(w io.Writer) {
				printValidators(w, vs)
				printNext(w, next)
			})
		},
	}
	addPageFlags(cmd, &o)
	return cmd
}

// printValidators writes one line per validator under a header.
func printValidators(w io.Writer, vs []wire.Validator) {
	if len(vs) == 0 {
		fmt.Fprintln(w, "no validator records (staking off, or a chain without them)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tSTATUS\tPOWER\tSTAKE\tSLASHED\tUNLOCKS AT\tOPERATOR")
	for _, v := range vs {
		unlocks, op, status := "-", v.Operator, v.Status
		if v.JailedFor != "" {
			status += " (" + v.JailedFor + ")"
		}
		if v.UnbondHeight > 0 {
			unlocks = fmt.Sprint(v.UnbondHeight)
		}
		if op == "" {
			op = "(genesis, none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", v.Address, status, v.Power, formatAmount(v.Stake), formatAmount(v.Slashed), unlocks, op)
	}
	_ = tw.Flush()
}
