package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// proverDevnet is a devnet with three prover daemons, the sha256-chain
// example deployed and every prover active: what the CLI tests of Runs
// (run, market, pool) start from.
type proverDevnet struct {
	d    *node.Devnet
	home string
	api  string
	c    *client.Client
	plog *runTestLog // the daemons' log, for failure messages
}

// startProverDevnet starts a proverDevnet with params (nil: the devnet's)
// whose prover i keeps asks[i] from its configuration; it stops when the
// test ends, the daemons before the node.
func startProverDevnet(t *testing.T, ctx context.Context, params *protocol.Params, asks map[int][]*pb.SetAsk) *proverDevnet {
	t.Helper()
	progs := t.TempDir()
	built := make(chan error, 1)
	go func() { built <- buildExample(progs, "sha256-chain") }() // while the devnet starts
	n := &proverDevnet{home: t.TempDir(), plog: &runTestLog{}}
	var err error
	n.d, err = node.StartDevnet(ctx, node.DevnetOptions{
		Home: n.home, Accounts: 2, Provers: 3, Balance: node.DevnetDefaults.Balance, Params: params,
		Node: node.Options{Log: io.Discard, Configure: onLoopback(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.d.Stop() })
	n.api = n.d.APIURL()
	waitAPI(t, n.api)
	ps, err := node.StartProvers(n.d.Node, n.d.ProverKeys, node.ProverOptions{Log: slog.New(slog.NewTextHandler(n.plog, nil)), Asks: asks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Stop() }) // before the node stops
	n.c = client.New(n.api)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if _, err := node.DeployExamples(ctx, n.c, n.d.Keys[0], progs); err != nil {
		t.Fatal(err)
	}
	if err := node.WaitActiveProvers(ctx, n.c, 3); err != nil {
		t.Fatal(err)
	}
	return n
}

// cli runs provernet against the devnet's home and node.
func (n *proverDevnet) cli(t *testing.T, args ...string) (string, string, int) {
	return provernet(t, append([]string{"--home", n.home, "--node", n.api}, args...)...)
}

// must runs provernet and fails the test, with the daemons' log, unless it
// exits 0.
func (n *proverDevnet) must(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, code := n.cli(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s\nprovers:\n%s", args, code, stderr, n.plog.String())
	}
	return out
}
