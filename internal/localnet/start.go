package localnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/provernet/provernet/client"
)

// ErrRunning is returned by Start when every node it would start runs.
var ErrRunning = errors.New("localnet already running")

// PortInUseError names a port a node needs that something else holds.
type PortInUseError struct {
	Node, Addr string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s cannot listen on %s: the address is in use", e.Node, e.Addr)
}

// NodeExitedError is a node that exited while starting, with its log's tail.
type NodeExitedError struct {
	Node, Log, Tail string
	Err             error
}

func (e *NodeExitedError) Error() string {
	return fmt.Sprintf("%s exited while starting (%v); the end of %s:\n%s", e.Node, e.Err, e.Log, e.Tail)
}

// StartOptions choose what Start starts.
type StartOptions struct {
	Exe   string   // the provernet binary
	Names []string // only these nodes (nil: all)
	// Ready bounds the wait for each started node's API to answer.
	Ready time.Duration
}

// Start starts every node of l (or of o.Names) that does not run, and waits
// until each answers on its API. It returns the nodes it started. If one
// fails to come up, Start stops the ones it started and says why.
func Start(ctx context.Context, l *Layout, o StartOptions) ([]Node, error) {
	todo, err := l.toStart(o.Names)
	if err != nil {
		return nil, err
	}
	for _, n := range todo {
		if err := portsFree(n); err != nil {
			return nil, err
		}
	}
	exits := make(map[string]<-chan error, len(todo))
	for _, n := range todo {
		_, ch, err := spawn(l.Dir, o.Exe, n)
		if err != nil {
			l.abort(todo)
			return nil, err
		}
		exits[n.Name] = ch
	}
	if o.Ready == 0 {
		o.Ready = 2 * time.Minute
	}
	for _, n := range todo {
		if err := waitReady(ctx, l.Dir, n, exits[n.Name], o.Ready); err != nil {
			l.abort(todo)
			return nil, err
		}
	}
	return todo, nil
}

// toStart is the nodes of names (all if nil) that do not run.
func (l *Layout) toStart(names []string) ([]Node, error) {
	pick := l.Nodes
	if len(names) > 0 {
		pick = nil
		for _, name := range names {
			n, ok := l.Find(name)
			if !ok {
				return nil, fmt.Errorf("no node %q in the localnet in %s", name, l.Dir)
			}
			pick = append(pick, n)
		}
	}
	var todo []Node
	for _, n := range pick {
		if runningPID(l.Dir, n) == 0 {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("%w in %s (%d nodes)", ErrRunning, l.Dir, len(pick))
	}
	return todo, nil
}

// abort kills the nodes of a start that failed.
func (l *Layout) abort(started []Node) {
	names := make([]string, len(started))
	for i, n := range started {
		names[i] = n.Name
	}
	_, _ = Stop(l, StopOptions{Names: names, Timeout: 5 * time.Second})
}

// portsFree checks that n's three listen addresses are free.
func portsFree(n Node) error {
	for _, addr := range []string{n.P2P, hostPort(n.RPC), hostPort(n.API)} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return &PortInUseError{Node: n.Name, Addr: addr}
		}
		ln.Close()
	}
	return nil
}

func hostPort(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}

// waitReady waits until n's API answers /v1/status.
func waitReady(ctx context.Context, dir string, n Node, exited <-chan error, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := client.New(n.API)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		_, err := c.Status(sctx)
		scancel()
		if err == nil {
			return nil
		}
		select {
		case err := <-exited:
			return &NodeExitedError{Node: n.Name, Log: LogFile(dir, n.Name), Tail: tail(LogFile(dir, n.Name), 15), Err: err}
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on %s within %s (see %s): %w", n.Name, n.API, limit, LogFile(dir, n.Name), ctx.Err())
		case <-tick.C:
		}
	}
}

// tail is the last k lines of a file.
func tail(path string, k int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-k):], "\n")
}
