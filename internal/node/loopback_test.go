package node

import (
	"net"
	"strconv"
	"testing"
)

// TestLoopbackPortsBelowEphemeral: the ports are distinct, free (each can
// be listened on), and below the kernel's ephemeral range where it is
// known, so no outgoing connection can take one before its node starts.
func TestLoopbackPortsBelowEphemeral(t *testing.T) {
	ports, err := LoopbackPorts(12)
	if err != nil {
		t.Fatal(err)
	}
	low, known := ephemeralLow()
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d twice in %v", p, ports)
		}
		seen[p] = true
		if known && (p >= low || p < minLoopbackPort) {
			t.Errorf("port %d is outside [%d, %d)", p, minLoopbackPort, low)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Errorf("port %d is not free: %v", p, err)
			continue
		}
		ln.Close()
	}
}
