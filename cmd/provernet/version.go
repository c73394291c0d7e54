package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/cli"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of provernet and what it is built on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]any{
				"provernet":   cli.BuildVersion(),
				"app_version": chain.AppVersion,
				"cometbft":    version.CMTSemVer,
				"go":          runtime.Version(),
			}
			return g.emit(v, func(w io.Writer) {
				fmt.Fprintf(w, "provernet %s (app %d, CometBFT %s, %s)\n", v["provernet"], chain.AppVersion, version.CMTSemVer, runtime.Version())
			})
		},
	}
}
