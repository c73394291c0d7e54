package node

import (
	"fmt"
	"net"
)

// LoopbackPorts finds k free TCP ports on 127.0.0.1. They are free when
// checked; a node started right after takes them.
func LoopbackPorts(k int) ([]int, error) {
	ports := make([]int, k)
	lns := make([]net.Listener, 0, k)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("failed to find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// OnLoopback returns a Configure function that puts a node's p2p, RPC and
// API listeners on free ports of 127.0.0.1 (smoke tests, benchmarks, tests
// running beside a devnet).
func OnLoopback() (func(*Config), error) {
	p, err := LoopbackPorts(3)
	if err != nil {
		return nil, err
	}
	return func(c *Config) {
		c.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", p[0])
		c.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", p[1])
		c.API.Listen = fmt.Sprintf("127.0.0.1:%d", p[2])
	}, nil
}
