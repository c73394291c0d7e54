package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/vrf"
)

type vrfOut struct {
	Public string `json:"public,omitempty"`
	Pi     string `json:"pi"`
	Beta   string `json:"beta"`
	Valid  bool   `json:"valid"`
	Error  string `json:"error,omitempty"`
}

func newDebugCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "debug", Short: "Tools for checking the protocol's building blocks"}
	v := &cobra.Command{Use: "vrf", Short: "ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381), as the beacon uses it"}
	var secret, public, pi, alpha string
	prove := &cobra.Command{
		Use: "prove", Short: "Prove alpha with a secret key", Args: cobra.NoArgs,
		Example: "  provernet debug vrf prove --secret 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 --alpha ''",
		RunE: func(cmd *cobra.Command, _ []string) error {
			sk, a, err := decodeHex(secret, "secret", alpha, "alpha")
			if err != nil {
				return err
			}
			p, err := vrf.Prove(sk, a)
			if err != nil {
				return err
			}
			beta, err := vrf.ProofToHash(p)
			if err != nil {
				return err
			}
			pk, _ := vrf.PublicKey(sk)
			out := vrfOut{Public: hex.EncodeToString(pk), Pi: hex.EncodeToString(p), Beta: hex.EncodeToString(beta), Valid: true}
			return g.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "public  %s\npi      %s\nbeta    %s\n", out.Public, out.Pi, out.Beta)
			})
		},
	}
	prove.Flags().StringVar(&secret, "secret", "", "32-byte secret key, hex (required)")
	prove.Flags().StringVar(&alpha, "alpha", "", "the input, hex (may be empty)")
	_ = prove.MarkFlagRequired("secret")
	verify := &cobra.Command{
		Use: "verify", Short: "Verify a proof; exits 1 if it is invalid", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pk, a, err := decodeHex(public, "public", alpha, "alpha")
			if err != nil {
				return err
			}
			p, err := hex.DecodeString(pi)
			if err != nil {
				return fmt.Errorf("--pi is not hex: %w", err)
			}
			out := vrfOut{Pi: pi}
			beta, verr := vrf.Verify(pk, p, a)
			if verr == nil {
				out.Valid, out.Beta = true, hex.EncodeToString(beta)
			} else {
				out.Error = verr.Error()
			}
			if err := g.emit(out, func(w io.Writer) {
				if out.Valid {
					fmt.Fprintf(w, "valid\nbeta  %s\n", out.Beta)
				} else {
					fmt.Fprintf(w, "invalid: %s\n", out.Error)
				}
			}); err != nil {
				return err
			}
			if !out.Valid {
				return &cli.ExitError{Code: 1}
			}
			return nil
		},
	}
	verify.Flags().StringVar(&public, "public", "", "32-byte public key, hex (required)")
	verify.Flags().StringVar(&pi, "pi", "", "80-byte proof, hex (required)")
	verify.Flags().StringVar(&alpha, "alpha", "", "the input, hex (may be empty)")
	_ = verify.MarkFlagRequired("public")
	_ = verify.MarkFlagRequired("pi")
	v.AddCommand(prove, verify)
	cmd.AddCommand(v, newCheckStateCmd(g))
	return cmd
}

// newCheckStateCmd checks a stopped node's state against the protocol's
// invariants, as the tests do after every block.
func newCheckStateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check-state",
		Short: "Check a stopped node's state against every protocol invariant; exits 1 if one is broken",
		Long: `Opens the application state under --home (the node must be stopped: the
store is locked while it runs) and checks its latest committed version: the
supply (balances, escrow, stake and burned against genesis and minted),
every workload and prover record, and each index against a full scan. It
writes nothing. bench load runs it on every node of its network.`,
		Example: "  provernet debug check-state --home ~/.provernet",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := node.CheckState(g.home)
			if err != nil {
				return cli.WithHint(err, "stop the node first (provernet localnet stop, or the service running it)")
			}
			if err := g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "height    %d\napp hash  %s\n", res.Height, res.AppHash)
				if res.Err == "" {
					fmt.Fprintln(w, "every invariant holds")
				} else {
					fmt.Fprintf(w, "BROKEN: %s\n", res.Err)
				}
			}); err != nil {
				return err
			}
			if res.Err != "" {
				return &cli.ExitError{Code: 1}
			}
			return nil
		},
	}
}

func decodeHex(a, aName, b, bName string) ([]byte, []byte, error) {
	x, err := hex.DecodeString(a)
	if err != nil {
		return nil, nil, fmt.Errorf("--%s is not hex: %w", aName, err)
	}
	y, err := hex.DecodeString(b)
	if err != nil {
		return nil, nil, fmt.Errorf("--%s is not hex: %w", bName, err)
	}
	return x, y, nil
}
