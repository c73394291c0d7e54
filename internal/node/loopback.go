package node

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// LoopbackPorts finds k free TCP ports on 127.0.0.1. They are free when
// checked; a node started right after takes them.
//
// They are chosen below the kernel's ephemeral range (Linux's
// ip_local_port_range, 32768-60999 by default), from a random start: a
// port the kernel handed out for a listen on :0 and that was released
// again is in that range, so any outgoing connection (a node's CometBFT
// dialling its peers) could take it before the node that was to listen
// on it starts, as TestFourValidators once saw ("bind: address already
// in use"). Below the range nothing takes a port by itself. Where the
// range cannot be read, it falls back to ports the kernel picks.
func LoopbackPorts(k int) ([]int, error) {
	lns := make([]net.Listener, 0, k)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	low, ok := ephemeralLow()
	if ok && low > minLoopbackPort+4*k {
		span := low - minLoopbackPort
		start := rand.IntN(span)
		for i := 0; i < span && len(lns) < k; i++ {
			port := minLoopbackPort + (start+i)%span
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				lns = append(lns, ln)
			}
		}
	}
	for len(lns) < k {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("failed to find a free port: %w", err)
		}
		lns = append(lns, ln)
	}
	ports := make([]int, k)
	for i, ln := range lns {
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// minLoopbackPort is the lowest port LoopbackPorts chooses.
const minLoopbackPort = 10000

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() (int, bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	n, err := strconv.Atoi(f[0])
	return n, err == nil
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
