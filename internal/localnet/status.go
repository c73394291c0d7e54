package localnet

import (
	"context"
	"sync"
	"time"

	"github.com/provernet/provernet/client"
)

// NodeStatus is one node as `localnet status` shows it.
type NodeStatus struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	PID     int    `json:"pid"` // 0 when it does not run
	Running bool   `json:"running"`
	RPC     string `json:"rpc"`
	API     string `json:"api"`
	Height  int64  `json:"height"` // 0 when its API does not answer
	AppHash string `json:"app_hash,omitempty"`
	Home    string `json:"home"`
	Log     string `json:"log"`
}

// Status reads every node's process and, from its API, its height.
func Status(ctx context.Context, l *Layout) []NodeStatus {
	out := make([]NodeStatus, len(l.Nodes))
	var wg sync.WaitGroup
	for i, n := range l.Nodes {
		out[i] = NodeStatus{Name: n.Name, Role: n.Role, RPC: n.RPC, API: n.API, Home: n.Home, Log: LogFile(l.Dir, n.Name)}
		out[i].PID = runningPID(l.Dir, n)
		out[i].Running = out[i].PID != 0
		if !out[i].Running {
			continue
		}
		wg.Add(1)
		go func(s *NodeStatus) {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if st, err := client.New(s.API).Status(sctx); err == nil {
				s.Height, s.AppHash = st.Height, st.AppHash
			}
		}(&out[i])
	}
	wg.Wait()
	return out
}

// Running counts the nodes in s that run.
func Running(s []NodeStatus) int {
	k := 0
	for _, n := range s {
		if n.Running {
			k++
		}
	}
	return k
}
