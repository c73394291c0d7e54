package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/node"
)

func newStartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "start",
		Short:   "Run the node in --home until interrupted",
		Example: "  provernet start --home ./node",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := node.Start(cmd.Context(), g.home, node.Options{Log: g.stderr})
			if err != nil {
				return err
			}
			info := endpoints(n)
			if err := g.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "provernet node running (home %s)\n", g.home)
				printEndpoints(w, info)
			}); err != nil {
				return err
			}
			<-cmd.Context().Done()
			fmt.Fprintln(g.stderr, "stopping...")
			return n.Stop()
		},
	}
}

type endpointInfo struct {
	Home string `json:"home"`
	API  string `json:"api"`
	RPC  string `json:"rpc"`
	P2P  string `json:"p2p"`
}

func endpoints(n *node.Node) endpointInfo {
	return endpointInfo{Home: n.Home(), API: n.APIURL(), RPC: n.RPCURL(), P2P: n.P2PAddress()}
}

func printEndpoints(w io.Writer, e endpointInfo) {
	fmt.Fprintf(w, "  API   %s   (provernet HTTP JSON API)\n", e.API)
	fmt.Fprintf(w, "  RPC   %s   (CometBFT RPC)\n", e.RPC)
	fmt.Fprintf(w, "  P2P   %s\n", e.P2P)
}
