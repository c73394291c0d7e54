package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

func newTxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Sign and send transactions"}
	cmd.AddCommand(newTransferCmd(g), newTxProverCmd(g), newTxValidatorCmd(g))
	return cmd
}

type txReport struct {
	Broadcast *wire.BroadcastResult `json:"broadcast"`
	Committed *wire.TxResult        `json:"committed,omitempty"`
}

func newTransferCmd(g *globals) *cobra.Command {
	var from, to, amount, fee string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "transfer",
		Short: "Send PRV from one of your keys to an address",
		Example: `  provernet tx transfer --from dev0 --to dev1 --amount 5prv --wait
  provernet tx transfer --from alice --to prv1... --amount 1500uprv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := g.loadKey(from)
			if err != nil {
				return err
			}
			dst, err := g.resolveAddress(to)
			if err != nil {
				return err
			}
			amt, err := parseAmount(amount)
			if err != nil {
				return err
			}
			var feeU uint64
			if fee != "" {
				if feeU, err = parseAmount(fee); err != nil {
					return err
				}
			}
			msg, err := client.TransferMsg(dst, amt)
			if err != nil {
				return err
			}
			return g.sendAndReport(cmd.Context(), key, feeU, wait, timeout, msg)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "name of the sending key (required)")
	cmd.Flags().StringVar(&to, "to", "", "recipient address or local key name (required)")
	cmd.Flags().StringVar(&amount, "amount", "", "amount, e.g. 5prv or 1500uprv (required)")
	cmd.Flags().StringVar(&fee, "fee", "", "fee to offer (default: the chain's minimum)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the transaction is committed")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long --wait waits")
	for _, f := range []string{"from", "to", "amount"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// sendAndReport signs, broadcasts, optionally waits, and prints the outcome.
func (g *globals) sendAndReport(ctx context.Context, key *client.Key, fee uint64, wait bool, timeout time.Duration, msgs ...*client.Msg) error {
	c := g.client()
	res, err := c.Send(ctx, key, fee, msgs...)
	var rej *client.RejectedError
	if errors.As(err, &rej) {
		_ = g.emit(txReport{Broadcast: res}, func(io.Writer) {})
	}
	if err != nil {
		return nodeErr(err)
	}
	rep := txReport{Broadcast: res}
	if wait {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if rep.Committed, err = c.WaitTx(wctx, res.Hash); err != nil {
			return cli.WithHint(err, "the transaction may still commit; check with `provernet query tx "+res.Hash+"`")
		}
	}
	err = g.emit(rep, func(w io.Writer) {
		fmt.Fprintf(w, "accepted into the mempool: tx %s\n", res.Hash)
		if c := rep.Committed; c != nil {
			fmt.Fprintf(w, "committed at height %d: code %d (%s)", c.Height, c.Code, c.CodeName)
			if c.Log != "" {
				fmt.Fprintf(w, ": %s", c.Log)
			}
			fmt.Fprintln(w)
		}
	})
	if err != nil {
		return err
	}
	return nodeErr(client.TxError(rep.Committed))
}

// hintForCode is what to do about a transaction refused with code.
func hintForCode(code wire.Code) string {
	switch code {
	case wire.CodeWrongNonce:
		return "another transaction from this key is pending; wait for it to commit and retry"
	case wire.CodeInsufficientFunds:
		return "check the balance with `provernet query account NAME`"
	case wire.CodeFeeTooLow:
		return "omit --fee to pay the chain's minimum"
	case wire.CodeWrongChainID:
		return "--node points at a different chain than the one this transaction was built for"
	}
	return ""
}
