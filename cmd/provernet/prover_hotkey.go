package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
)

// Hot keys (issue 19, docs/PROVER.md "Hot keys"): `tx prover hot-key`
// names, replaces, revokes or resigns a prover's hot key; `keys consent`
// makes a hot key's consent on the machine that holds it, for a staking
// key kept elsewhere.

func newTxProverHotKeyCmd(g *globals, from *string, send func(*cobra.Command, *client.Msg) error) *cobra.Command {
	var revoke bool
	var pubHex, consentHex string
	cmd := &cobra.Command{
		Use:   "hot-key [KEY]",
		Short: "Let another key send --from's routine prover transactions (or --revoke it)",
		Long: `Names the key whose transactions may carry the prover's routine work
(accept, decline, submit, reveal, vote, tree node proofs) in its name, so the
key holding the stake can stay offline: run the daemon with the hot key
(provernet start --prover --prover-key HOT --prover-for PROVER). The hot key
pays its own fees, so fund it; it cannot unbond, withdraw, move the prover's
balance or set its asks. It can still lose the stake by doing the prover's
work badly: guard it as you would the stake.

The hot key consents by signing for the prover. With KEY in this home, the
consent is made here. With the hot key on another machine, run there
  provernet keys consent HOT --prover PROVER
and pass what it prints as --hot-public-key and --consent.

A new hot key replaces the old one. --revoke from the prover removes it;
--revoke from the hot key itself resigns.`,
		Example: `  provernet keys add alice-hot
  provernet tx transfer --from alice --to alice-hot --amount 10prv --wait
  provernet tx prover hot-key alice-hot --from alice --wait
  provernet tx prover hot-key --hot-public-key 5f1c... --consent 9ab2... --from alice --wait
  provernet tx prover hot-key --revoke --from alice --wait`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := hotKeyMsg(cmd.Context(), g, *from, args, revoke, pubHex, consentHex)
			if err != nil {
				return err
			}
			return send(cmd, msg)
		},
	}
	cmd.Flags().BoolVar(&revoke, "revoke", false, "remove the prover's hot key (from the hot key: resign)")
	cmd.Flags().StringVar(&pubHex, "hot-public-key", "", "the hot key's public key (hex), from `provernet keys consent` on its machine")
	cmd.Flags().StringVar(&consentHex, "consent", "", "the hot key's consent (hex), from `provernet keys consent` on its machine")
	return cmd
}

// hotKeyMsg is the SetHotKey the flags ask for.
func hotKeyMsg(ctx context.Context, g *globals, from string, args []string, revoke bool, pubHex, consentHex string) (*client.Msg, error) {
	given := 0
	if len(args) == 1 {
		given++
	}
	if pubHex != "" || consentHex != "" {
		given++
	}
	if revoke {
		given++
	}
	if given != 1 {
		return nil, cli.WithHint(errors.New("name a hot key (KEY, or --hot-public-key with --consent) or --revoke: exactly one"),
			"provernet tx prover hot-key alice-hot --from alice")
	}
	switch {
	case revoke:
		return client.RevokeHotKeyMsg(), nil
	case len(args) == 1:
		return localHotKeyMsg(ctx, g, from, args[0])
	}
	pub, err1 := hex.DecodeString(pubHex)
	consent, err2 := hex.DecodeString(consentHex)
	if err := errors.Join(err1, err2); err != nil || len(pub) != ed25519.PublicKeySize || len(consent) != ed25519.SignatureSize {
		return nil, cli.WithHint(fmt.Errorf("--hot-public-key must be %d bytes and --consent %d, in hex", ed25519.PublicKeySize, ed25519.SignatureSize),
			"copy both from what `provernet keys consent HOT --prover PROVER` printed on the hot key's machine")
	}
	return client.SetHotKeyMsg(pub, consent), nil
}

// localHotKeyMsg signs the consent of the hot key name, held in this
// home, for the prover from.
func localHotKeyMsg(ctx context.Context, g *globals, from, name string) (*client.Msg, error) {
	prover, err := g.loadKey(from)
	if err != nil {
		return nil, err
	}
	hot, err := g.loadKey(name)
	if err != nil {
		return nil, cli.WithHint(err, "the hot key must be in this home to consent here; else run `provernet keys consent HOT --prover "+prover.Address()+"` where it is and pass --hot-public-key and --consent")
	}
	c, err := hotKeyConsent(ctx, g, hot, prover.Address())
	if err != nil {
		return nil, err
	}
	pub, _ := hex.DecodeString(c.HotPublicKey)
	consent, _ := hex.DecodeString(c.Consent)
	return client.SetHotKeyMsg(pub, consent), nil
}

// consentReport is what `keys consent` prints.
type consentReport struct {
	HotKey       string `json:"hot_key"`
	HotPublicKey string `json:"hot_public_key"`
	Prover       string `json:"prover"`
	ChainID      string `json:"chain_id"`
	Nonce        uint64 `json:"nonce"`
	Consent      string `json:"consent"`
}

// hotKeyConsent signs hot's consent for prover at its account's current
// nonce on the node's chain.
func hotKeyConsent(ctx context.Context, g *globals, hot *client.Key, prover string) (*consentReport, error) {
	c := g.client()
	st, err := c.Status(ctx)
	if err != nil {
		return nil, nodeErr(err)
	}
	acct, err := c.Account(ctx, hot.Address())
	if err != nil {
		return nil, nodeErr(err)
	}
	sig, err := client.HotKeyConsent(hot, st.ChainID, prover, acct.Nonce)
	if err != nil {
		return nil, err
	}
	return &consentReport{HotKey: hot.Address(), HotPublicKey: hex.EncodeToString(hot.PublicKey()), Prover: prover,
		ChainID: st.ChainID, Nonce: acct.Nonce, Consent: hex.EncodeToString(sig)}, nil
}

func newKeysConsentCmd(g *globals) *cobra.Command {
	var prover string
	cmd := &cobra.Command{
		Use:   "consent NAME --prover PROVER",
		Short: "Sign key NAME's consent to be PROVER's hot key (for `tx prover hot-key` on the staking key's machine)",
		Long: `Signs, with key NAME, its consent to act as PROVER's hot key on the node's
chain, at NAME's current account nonce: the consent is spent once NAME sends
a transaction, so use it before the hot key sends anything.`,
		Example: "  provernet keys consent alice-hot --prover prv1...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hot, err := g.loadKey(args[0])
			if err != nil {
				return err
			}
			p, err := g.resolveAddress(prover)
			if err != nil {
				return err
			}
			rep, err := hotKeyConsent(cmd.Context(), g, hot, p)
			if err != nil {
				return err
			}
			return g.emit(rep, func(w io.Writer) {
				fmt.Fprintf(w, "%s consents to act for prover %s on %s (its nonce %d)\n", rep.HotKey, rep.Prover, rep.ChainID, rep.Nonce)
				fmt.Fprintf(w, "on the staking key's machine run:\n  provernet tx prover hot-key --hot-public-key %s --consent %s --from <the prover's key> --wait\n", rep.HotPublicKey, rep.Consent)
			})
		},
	}
	cmd.Flags().StringVar(&prover, "prover", "", "the prover (address or key name) the hot key will act for (required)")
	_ = cmd.MarkFlagRequired("prover")
	return cmd
}
