package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
)

type devnetInfo struct {
	endpointInfo
	ChainID  string                `json:"chain_id"`
	Created  bool                  `json:"created"`
	Accounts []devAccount          `json:"accounts"`
	Provers  []devAccount          `json:"provers"`
	Programs []node.ExampleProgram `json:"programs"`
	// ChallengeProgram is the chain's challenge_program ("" when off).
	ChallengeProgram string `json:"challenge_program"`
}

type devAccount struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Balance uint64 `json:"balance"`
}

func newDevnetCmd(g *globals) *cobra.Command {
	var accounts, per, provers, k int
	var blockTime, timeout time.Duration
	var smoke, keep, noChallenges bool
	var programs, treeKeys string
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a one-validator development network with funded dev accounts",
		Long: `Starts a one-validator devnet on this machine. Without --home it makes a fresh
directory; with --home it creates the devnet there, or resumes the one found
there. The dev accounts' keys are written to HOME/keys. Ctrl-C stops it.

A new devnet's genesis deploys the bench program from --programs (built by
` + "`make programs`" + `) as its challenge program: each prover daemon passes an
admission challenge sized to its declaration (one core, 1024 MiB) before it
is active, which takes up to a minute on a laptop, and is challenged at
random about every 10 minutes. Without the built program the devnet runs
without challenges and says so; --no-challenges turns them off.

With --smoke it instead starts a fresh devnet in a temporary home, sends
transfers between the dev accounts, waits until they are committed, checks
balances, supply and the beacon; with --provers it also has them prove one
proof tree of four inputs (the hash test pair, which proves nothing) to final
and writes its root; then it prints one report and exits (0 if ok).

With --tree-keys DIR (made by ` + "`provernet tree keys`" + `) a new devnet's genesis
names the gnark tree pair's verifying keys and its provers prove gnark trees
with the keys in DIR (` + "`provernet tree submit --pair gnark`" + `).`,
		Example: `  provernet devnet
  provernet devnet --home ./devnet --accounts 8
  provernet devnet --smoke --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if provers > 0 { // their jobs run in provernet-sandbox: find it before starting anything
				if _, err := sandbox.WorkerExecutable(); err != nil {
					return err
				}
			}
			if smoke {
				return runSmoke(g, cmd, node.SmokeOptions{Accounts: accounts, PerAccount: per, Timeout: timeout, KeepHome: keep,
					Programs: existingDir(programs), Provers: provers, K: k})
			}
			home := g.home
			if !cmd.Flags().Changed("home") && os.Getenv("PROVERNET_HOME") == "" {
				var err error
				if home, err = os.MkdirTemp("", "provernet-devnet-"); err != nil {
					return err
				}
			}
			o := node.DevnetOptions{Home: home, Accounts: accounts, Provers: provers, Balance: node.DevnetDefaults.Balance, BlockTime: blockTime}
			if treeKeys != "" {
				base, merges, err := treepair.ReadVerifyingKeys(treeKeys)
				if err != nil {
					return cli.WithHint(err, "make the keys with `provernet tree keys --out "+treeKeys+"`")
				}
				p := node.DevnetParams()
				p.TreeGnarkBaseVK, p.TreeGnarkMergeVKs = base, merges
				o.Params = &p
			}
			if _, err := os.Stat(node.GenesisFile(home)); os.IsNotExist(err) { // a new devnet: choose its challenges
				dir, err := devnetChallengeDir(existingDir(programs), noChallenges)
				if err != nil {
					fmt.Fprintf(g.stderr, "warning: %v\n", err)
				}
				o.ChallengeProgram = dir
			}
			return runDevnet(g, cmd, o, existingDir(programs), treeKeys)
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", node.DevnetDefaults.Accounts, "number of funded dev accounts")
	cmd.Flags().DurationVar(&blockTime, "block-time", node.DevnetDefaults.BlockTime, "pause after each commit")
	cmd.Flags().BoolVar(&smoke, "smoke", false, "run the end-to-end smoke test and exit")
	cmd.Flags().IntVar(&per, "transfers", 5, "with --smoke: transfers each dev account sends")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "with --smoke: give up after this long")
	cmd.Flags().BoolVar(&keep, "keep", false, "with --smoke: keep the temporary home even on success")
	cmd.Flags().IntVar(&provers, "provers", node.DevnetDefaults.Provers, "prover daemons to run (each registers and stakes itself)")
	cmd.Flags().StringVar(&programs, "programs", "build/programs", "built example programs to deploy (`make programs`); skipped if missing")
	cmd.Flags().IntVar(&k, "k", 3, "with --smoke: provers per workload")
	cmd.Flags().BoolVar(&noChallenges, "no-challenges", false, "a new devnet admits provers on stake alone (no hardware challenges)")
	cmd.Flags().StringVar(&treeKeys, "tree-keys", "", "the gnark tree pair's keys (`provernet tree keys`): named in a new genesis, used by the provers")
	return cmd
}

func runDevnet(g *globals, cmd *cobra.Command, o node.DevnetOptions, programs, treeKeys string) error {
	logPath := o.Home + "/node.log"
	if err := os.MkdirAll(o.Home, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	o.Node.Log = logf
	d, err := node.StartDevnet(cmd.Context(), o)
	if err != nil {
		return cli.WithHint(err, "is another node using the ports? `make run` and `provernet devnet` use 26656, 26657 and 1317; see "+logPath)
	}
	info, err := devnetSummary(cmd, d)
	if err != nil {
		_ = d.Stop()
		return err
	}
	ps, err := node.StartProvers(d.Node, d.ProverKeys, node.ProverOptions{Log: slog.New(slog.NewTextHandler(logf, nil)), TreeKeysDir: treeKeys})
	if err != nil {
		_ = d.Stop()
		return err
	}
	defer ps.Stop()
	for _, k := range d.ProverKeys {
		info.Provers = append(info.Provers, devAccount{Name: k.Name, Address: k.Address()})
	}
	if programs != "" && len(d.Keys) > 0 {
		fmt.Fprintf(g.stderr, "deploying the example programs from %s...\n", programs)
		if info.Programs, err = node.DeployExamples(cmd.Context(), client.New(d.APIURL()), d.Keys[0], programs); err != nil {
			fmt.Fprintf(g.stderr, "warning: %v\n", err)
		}
	}
	if err := g.emit(info, func(w io.Writer) { printDevnet(w, info, logPath) }); err != nil {
		return err
	}
	<-cmd.Context().Done()
	fmt.Fprintln(g.stderr, "stopping the devnet...")
	if err := ps.Stop(); err != nil {
		fmt.Fprintf(g.stderr, "warning: provers: %v\n", err)
	}
	if err := d.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "stopped; resume it with: provernet devnet --home %s\n", o.Home)
	return nil
}

func devnetSummary(cmd *cobra.Command, d *node.Devnet) (devnetInfo, error) {
	c := client.New(d.APIURL())
	info := devnetInfo{endpointInfo: endpoints(d.Node), Created: d.Created}
	var st *wire.Status
	var err error
	// State queries answer once the app has committed a block; CometBFT
	// reports a height as soon as the block is stored, before that.
	for i := 0; i < 100; i++ {
		if st, err = c.Status(cmd.Context()); err == nil && st.Height > 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return info, err
	}
	info.ChainID = st.ChainID
	info.ChallengeProgram = d.Params().ChallengeProgram
	for _, k := range d.Keys {
		a, err := c.Account(cmd.Context(), k.Address())
		if err != nil {
			return info, err
		}
		info.Accounts = append(info.Accounts, devAccount{Name: k.Name, Address: k.Address(), Balance: a.Balance})
	}
	return info, nil
}

func printDevnet(w io.Writer, info devnetInfo, logPath string) {
	verb := "resumed"
	if info.Created {
		verb = "created"
	}
	fmt.Fprintf(w, "provernet devnet running (chain %s, %s in %s)\n", info.ChainID, verb, info.Home)
	printEndpoints(w, info.endpointInfo)
	fmt.Fprintf(w, "  log   %s\n\ndev accounts (keys in %s/keys):\n", logPath, info.Home)
	for _, a := range info.Accounts {
		fmt.Fprintf(w, "  %-6s %s  %s\n", a.Name, a.Address, formatAmount(a.Balance))
	}
	if info.ChallengeProgram != "" {
		fmt.Fprintf(w, "\nhardware challenges on (challenge program %s): a prover is pending until it passes\nits admission challenge, up to a minute on a laptop\n", info.ChallengeProgram[:16])
	} else {
		fmt.Fprintf(w, "\nhardware challenges off: provers are admitted on stake alone\n")
	}
	if len(info.Provers) > 0 {
		fmt.Fprintf(w, "\nprover daemons (state in %s/provers, logs in the node log):\n", info.Home)
		for _, p := range info.Provers {
			fmt.Fprintf(w, "  %-8s %s\n", p.Name, p.Address)
		}
	}
	exe := selfName()
	fmt.Fprintf(w, "\ntry, in another terminal:\n")
	fmt.Fprintf(w, "  export PROVERNET_HOME=%s\n", info.Home)
	fmt.Fprintf(w, "  %s query provers\n", exe)
	var treeBase, treeMerge string
	for _, p := range info.Programs {
		switch p.Tree {
		case "base":
			treeBase = p.Name
			continue
		case "merge":
			treeMerge = p.Name
			continue
		}
		var in []string
		for _, f := range p.Inputs {
			in = append(in, "--input "+f)
		}
		fmt.Fprintf(w, "  %s run %s %s --cycles %d --provers 3 --from dev1 --wait\n", exe, p.Name, strings.Join(in, " "), p.Cycles)
	}
	if len(info.Programs) == 0 {
		fmt.Fprintf(w, "  (no example programs deployed: run `make programs`, then restart the devnet)\n")
	}
	if treeBase != "" && treeMerge != "" {
		fmt.Fprintf(w, "  printf a >tx0; printf b >tx1\n")
		fmt.Fprintf(w, "  %s tree submit --base %s --merge %s --input tx0 --input tx1 --reward 1prv --node-deadline 60 --from dev1 --wait\n", exe, treeBase, treeMerge)
	}
	fmt.Fprintf(w, "  %s tx transfer --from dev0 --to dev1 --amount 5prv --wait\n", exe)
	fmt.Fprintf(w, "\nCtrl-C stops the devnet.\n")
}

func runSmoke(g *globals, cmd *cobra.Command, o node.SmokeOptions) error {
	fmt.Fprintln(g.stderr, "smoke: starting a fresh devnet in a temporary home...")
	rep := node.Smoke(cmd.Context(), o)
	if err := g.emit(rep, func(w io.Writer) {
		if rep.OK {
			fmt.Fprintf(w, "ok: %d transfers committed in %.2fs (heights %d-%d, commit latency p50 %d ms, max %d ms)\n",
				rep.Committed, rep.Seconds, rep.FirstHeight, rep.LastHeight, rep.CommitP50MS, rep.CommitMaxMS)
			fmt.Fprintf(w, "    %d balances checked, supply conserved, beacon chain checked up to height %d\n", rep.BalancesChecked, rep.BeaconHeight)
			for _, t := range rep.Trees {
				fmt.Fprintf(w, "    proof tree %s %s: %d nodes, %d kept proofs, root written to %s\n", t.ID[:12], t.State, t.NumNodes, len(t.Proofs), t.RootProofFile)
			}
		} else {
			fmt.Fprintf(w, "FAILED: %s\n    home %s, node log %s\n", rep.Reason, rep.Home, rep.Log)
		}
	}); err != nil {
		return err
	}
	if !rep.OK {
		return &cli.ExitError{Code: 1}
	}
	return nil
}

// selfName is how the user can run this binary again: its name if it is on
// PATH, else the path it was started with.
func selfName() string {
	if p, err := exec.LookPath("provernet"); err == nil {
		if self, err := os.Executable(); err == nil {
			if a, b := filepath.Clean(p), filepath.Clean(self); a == b {
				return "provernet"
			}
		}
	}
	return os.Args[0]
}

// existingDir returns dir if it exists, else "".
func existingDir(dir string) string {
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	return ""
}
