package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/localnet"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/sandbox"
)

// localnetFlags are `localnet`'s flags.
type localnetFlags struct {
	dir          string
	spec         localnet.Spec
	programs     string
	noChallenges bool
	ready        time.Duration
	names        []string // --node: start only these
}

// localnetInfo is what `localnet` prints.
type localnetInfo struct {
	ChainID  string                `json:"chain_id"`
	Dir      string                `json:"dir"`
	Created  bool                  `json:"created"`
	Started  []string              `json:"started"`
	Nodes    []localnet.NodeStatus `json:"nodes"`
	Accounts []devAccount          `json:"accounts"`
}

func newLocalnetCmd(g *globals) *cobra.Command {
	var f localnetFlags
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a network of separate node processes on this machine (validators and provers)",
		Long: `Creates a network in --dir and starts each of its nodes as its own process of
this binary, detached, then prints the endpoints and returns.

Validators are DIR/node0 ... (homes as ` + "`provernet testnet`" + ` makes them), each run as
provernet start --home DIR/nodeI. Provers are DIR/prover0 ...: full nodes that
are not validators, peer with the validators and run a prover daemon beside
them (provernet start --home DIR/proverJ --prover --prover-key proverJ), their
keys funded in the genesis. Node i listens on BASE+10i (p2p), BASE+10i+1
(CometBFT RPC) and BASE+10i+2 (API), validators first. Dev accounts dev0 ...
are funded too, their keys in DIR/node0/keys.

Pids are in DIR/NAME.pid, logs in DIR/logs/NAME.log. On a DIR that already
holds a localnet it starts the nodes that do not run (after a stop, a crash
or ` + "`localnet stop --node`" + `). The genesis deploys the benchmark program for
hardware challenges when it is built (` + "`make programs`" + `), else the provers are
admitted on stake alone (a warning says so).`,
		Example: `  provernet localnet --validators 4 --provers 6 --dir ./localnet
  provernet localnet status --dir ./localnet
  provernet localnet stop --dir ./localnet --node node3 --kill   # crash one validator
  provernet localnet --dir ./localnet                            # start it again
  provernet localnet stop --dir ./localnet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLocalnet(g, cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "./localnet", "directory of the localnet: its homes, pids and logs")
	fl.StringVar(&f.spec.ChainID, "chain-id", "provernet-localnet", "chain id")
	fl.IntVar(&f.spec.Validators, "validators", 4, "number of validators")
	fl.IntVar(&f.spec.Provers, "provers", 6, "number of provers (full nodes with a prover daemon)")
	fl.IntVar(&f.spec.ProverCapacity, "prover-capacity", 1, "workloads each prover proves at once (its declared max concurrency)")
	fl.IntVar(&f.spec.Accounts, "accounts", 2, "funded dev accounts (keys in DIR/node0/keys)")
	fl.IntVar(&f.spec.BasePort, "base-port", 46656, "first port; node i uses BASE+10i .. BASE+10i+2")
	fl.DurationVar(&f.spec.BlockTime, "block-time", time.Second, "pause after each commit")
	fl.StringVar(&f.spec.LogLevel, "log-level", "", "the nodes' log.level: debug, info, error or none (default info)")
	fl.StringVar(&f.programs, "challenge-program", defaultChallengeDir, "built benchmark program deployed for hardware challenges; skipped with a warning if missing")
	fl.BoolVar(&f.noChallenges, "no-challenges", false, "admit provers on stake alone (no hardware challenges)")
	fl.StringArrayVar(&f.names, "node", nil, "on an existing localnet, start only this node, e.g. node3 (repeatable)")
	fl.DurationVar(&f.ready, "ready-timeout", 2*time.Minute, "how long each node may take to answer on its API")
	cmd.AddCommand(newLocalnetStatusCmd(g), newLocalnetStopCmd(g))
	return cmd
}

func runLocalnet(g *globals, cmd *cobra.Command, f localnetFlags) error {
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return err
	}
	f.spec.Dir, f.spec.Balance = dir, node.DevnetDefaults.Balance
	l, created, err := localnetLayout(g, cmd, f)
	if err != nil {
		return err
	}

	if hasProvers(l) { // their jobs run in provernet-sandbox: find it before starting anything
		if _, err := sandbox.WorkerExecutable(); err != nil {
			return err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "starting the localnet in %s...\n", dir)
	started, err := localnet.Start(cmd.Context(), l, localnet.StartOptions{Exe: exe, Names: f.names, Ready: f.ready})
	if err != nil {
		return localnetHint(err, dir)
	}
	info := localnetInfo{ChainID: l.ChainID, Dir: dir, Created: created, Nodes: localnet.Status(cmd.Context(), l)}
	for _, n := range started {
		info.Started = append(info.Started, n.Name)
	}
	if keys, err := client.ListKeys(node.KeysDir(l.Nodes[0].Home)); err == nil {
		for _, k := range keys {
			info.Accounts = append(info.Accounts, devAccount{Name: k.Name, Address: k.Address(), Balance: f.spec.Balance})
		}
	}
	return g.emit(info, func(w io.Writer) { printLocalnet(w, info) })
}

// localnetLayout loads dir's localnet, or creates it.
func localnetLayout(g *globals, cmd *cobra.Command, f localnetFlags) (*localnet.Layout, bool, error) {
	l, err := localnet.Load(f.spec.Dir)
	if err == nil {
		for _, name := range []string{"validators", "provers", "accounts", "base-port", "block-time", "chain-id", "challenge-program", "no-challenges", "log-level", "prover-capacity"} {
			if cmd.Flags().Changed(name) {
				return nil, false, cli.WithHint(fmt.Errorf("%s already holds a localnet: --%s cannot change it", f.spec.Dir, name),
					"run `provernet localnet --dir "+f.spec.Dir+"` alone to start its nodes, or pick another --dir for a new one")
			}
		}
		return l, false, nil
	}
	if !errors.Is(err, localnet.ErrNoLocalnet) {
		return nil, false, err
	}
	if len(f.names) > 0 {
		return nil, false, cli.WithHint(fmt.Errorf("--node starts nodes of an existing localnet, and %s holds none", f.spec.Dir),
			"create it first: `provernet localnet --dir "+f.dir+"`")
	}
	if entries, err := os.ReadDir(f.spec.Dir); err == nil && len(entries) > 0 {
		return nil, false, cli.WithHint(fmt.Errorf("%s is not empty and holds no localnet", f.spec.Dir), "pass a new or empty --dir")
	}
	if err := f.spec.Check(); err != nil {
		return nil, false, cli.WithHint(err, "see `provernet localnet --help`")
	}
	if err := f.spec.CheckPorts(); err != nil {
		return nil, false, localnetHint(err, f.spec.Dir)
	}
	f.spec.ChallengeProgram, err = localnetChallenges(cmd, f)
	if err != nil {
		return nil, false, err
	}
	if f.spec.ChallengeProgram == "" && !f.noChallenges {
		fmt.Fprintf(g.stderr, "warning: no benchmark program in %s (run `make programs`): this localnet admits provers without hardware challenges\n", f.programs)
	}
	l, err = localnet.Create(f.spec)
	return l, true, err
}

// localnetChallenges is the challenge program to deploy: the built one if
// there; a missing one is an error only when --challenge-program named it.
func localnetChallenges(cmd *cobra.Command, f localnetFlags) (string, error) {
	if f.noChallenges || f.spec.Provers == 0 && !cmd.Flags().Changed("challenge-program") {
		return "", nil
	}
	if hasChallengeProgram(f.programs) {
		return f.programs, nil
	}
	if cmd.Flags().Changed("challenge-program") {
		return "", cli.WithHint(fmt.Errorf("no benchmark program in %s (prover.wasm and verifier.wasm)", f.programs),
			"build it with `make programs`, or pass --no-challenges")
	}
	return "", nil
}

func hasProvers(l *localnet.Layout) bool {
	for _, n := range l.Nodes {
		if n.Role == localnet.RoleProver {
			return true
		}
	}
	return false
}

// localnetHint adds what to do to the errors of starting a localnet.
func localnetHint(err error, dir string) error {
	var port *localnet.PortInUseError
	var exited *localnet.NodeExitedError
	switch {
	case errors.As(err, &port):
		return cli.WithHint(err, "another localnet or node holds it: stop it (`provernet localnet stop --dir DIR`), or pass another --base-port with a new --dir")
	case errors.Is(err, localnet.ErrRunning):
		return cli.WithHint(err, "see it with `provernet localnet status --dir "+dir+"`; stop it with `provernet localnet stop --dir "+dir+"`")
	case errors.As(err, &exited):
		return cli.WithHint(err, "the whole log is "+exited.Log)
	}
	return err
}

func printLocalnet(w io.Writer, info localnetInfo) {
	v, p := 0, 0
	for _, n := range info.Nodes {
		if n.Role == localnet.RoleValidator {
			v++
		} else {
			p++
		}
	}
	verb := "started"
	if info.Created {
		verb = "created and started"
	}
	fmt.Fprintf(w, "localnet %s in %s: %d validators, %d provers (%s %d)\n", info.ChainID, info.Dir, v, p, verb, len(info.Started))
	printLocalnetNodes(w, info.Nodes, false)
	if len(info.Accounts) > 0 {
		fmt.Fprintf(w, "funded accounts (keys in %s):\n", node.KeysDir(info.Nodes[0].Home))
		for _, a := range info.Accounts {
			fmt.Fprintf(w, "  %-8s %s\n", a.Name, a.Address)
		}
		fmt.Fprintf(w, "try:    provernet --home %s query status\n", info.Nodes[0].Home)
	}
	fmt.Fprintf(w, "status: provernet localnet status --dir %s\n", info.Dir)
	fmt.Fprintf(w, "stop:   provernet localnet stop --dir %s\n", info.Dir)
	fmt.Fprintf(w, "logs:   %s\n", filepath.Join(info.Dir, "logs"))
}

func printLocalnetNodes(w io.Writer, nodes []localnet.NodeStatus, heights bool) {
	if heights {
		fmt.Fprintf(w, "%-10s %-10s %-8s %-8s %-24s %s\n", "NAME", "ROLE", "PID", "HEIGHT", "RPC", "API")
	} else {
		fmt.Fprintf(w, "%-10s %-10s %-8s %-24s %s\n", "NAME", "ROLE", "PID", "RPC", "API")
	}
	for _, n := range nodes {
		pid := "-"
		if n.Running {
			pid = fmt.Sprint(n.PID)
		}
		if heights {
			fmt.Fprintf(w, "%-10s %-10s %-8s %-8d %-24s %s\n", n.Name, n.Role, pid, n.Height, n.RPC, n.API)
		} else {
			fmt.Fprintf(w, "%-10s %-10s %-8s %-24s %s\n", n.Name, n.Role, pid, n.RPC, n.API)
		}
	}
}
