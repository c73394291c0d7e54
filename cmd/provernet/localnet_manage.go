package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/localnet"
)

// localnetStatus is what `localnet status` prints.
type localnetStatus struct {
	ChainID string                `json:"chain_id"`
	Dir     string                `json:"dir"`
	Running int                   `json:"running"`
	Nodes   []localnet.NodeStatus `json:"nodes"`
}

func newLocalnetStatusCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the localnet's nodes: process, height and endpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadLocalnet(dir)
			if err != nil {
				return err
			}
			nodes := localnet.Status(cmd.Context(), l)
			st := localnetStatus{ChainID: l.ChainID, Dir: l.Dir, Running: localnet.Running(nodes), Nodes: nodes}
			return g.emit(st, func(w io.Writer) {
				fmt.Fprintf(w, "localnet %s in %s: %d of %d nodes running\n", st.ChainID, st.Dir, st.Running, len(nodes))
				printLocalnetNodes(w, nodes, true)
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./localnet", "directory of the localnet")
	return cmd
}

// localnetStopped is what `localnet stop` prints.
type localnetStopped struct {
	Dir     string             `json:"dir"`
	Stopped []localnet.Stopped `json:"stopped"`
}

func newLocalnetStopCmd(g *globals) *cobra.Command {
	var dir string
	var o localnet.StopOptions
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the localnet's nodes (SIGTERM, then SIGKILL after --timeout)",
		Long: `Stops the running nodes of the localnet in --dir, or only --node NAME: SIGTERM,
then SIGKILL to any still running after --timeout. With --kill it sends SIGKILL
at once, a crash (fault drills). Stopping what does not run does nothing.
` + "`provernet localnet --dir DIR`" + ` starts the stopped nodes again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := loadLocalnet(dir)
			if err != nil {
				return err
			}
			stopped, err := localnet.Stop(l, o)
			if err != nil {
				return err
			}
			out := localnetStopped{Dir: l.Dir, Stopped: stopped}
			if out.Stopped == nil {
				out.Stopped = []localnet.Stopped{}
			}
			return g.emit(out, func(w io.Writer) {
				if len(stopped) == 0 {
					fmt.Fprintf(w, "nothing to stop: no node of the localnet in %s runs\n", l.Dir)
					return
				}
				for _, s := range stopped {
					how := "stopped"
					if s.Killed {
						how = "killed"
					}
					fmt.Fprintf(w, "%s %s (pid %d)\n", how, s.Name, s.PID)
				}
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./localnet", "directory of the localnet")
	cmd.Flags().StringArrayVar(&o.Names, "node", nil, "stop only this node, e.g. node3 or prover0 (repeatable)")
	cmd.Flags().BoolVar(&o.Kill, "kill", false, "SIGKILL at once: the node crashes instead of stopping cleanly")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 15*time.Second, "how long a node may take to exit after SIGTERM before SIGKILL")
	return cmd
}

// loadLocalnet loads the localnet in dir, with a hint if there is none.
func loadLocalnet(dir string) (*localnet.Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	l, err := localnet.Load(abs)
	if errors.Is(err, localnet.ErrNoLocalnet) {
		return nil, cli.WithHint(err, "create one with `provernet localnet --dir "+dir+"`, or pass the --dir it was created in")
	}
	return l, err
}
