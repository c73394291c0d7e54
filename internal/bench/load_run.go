package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/localnet"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// loadCycles is each tiny Run's cycle budget (the sha256-chain sample at
// 100 iterations uses a small part of it), as bench e2e sends.
const loadCycles = 200_000_000

// loadWorkload is what the benchmark saw of one Run.
type loadWorkload struct {
	owner                    string
	sentAt, finalAt          time.Time
	runHeight, finalHeight   int64
	settleHeight             int64
	state                    string // the settled state
	reason                   string // the last reason a workload event gave
	accepted, released, mine bool
}

// loadRun follows the Runs of one benchmark: the senders register what
// they send, the event follower what the chain did with it.
type loadRun struct {
	mu        sync.Mutex
	ws        map[string]*loadWorkload // by workload id, hex
	window    map[string]chan struct{} // by owner: a token per Run in flight
	sent      int                      // Runs handed to senders
	accepted  int
	rejected  int
	kills     int
	maxHeight int64
	done      chan struct{} // closed when every accepted Run settled and sending ended
	sending   bool
}

func (r *loadRun) get(id string) *loadWorkload {
	w := r.ws[id]
	if w == nil {
		w = &loadWorkload{}
		r.ws[id] = w
	}
	return w
}

// release gives the owner's window token back once per Run.
func (r *loadRun) release(w *loadWorkload) {
	if w.released || !w.mine {
		return
	}
	w.released = true
	<-r.window[w.owner]
}

// observe takes one event of the chain.
func (r *loadRun) observe(ev wire.StreamEvent) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxHeight = max(r.maxHeight, ev.Height)
	switch ev.Type {
	case "run":
		if _, ok := r.window[ev.Attrs["owner"]]; ok {
			w := r.get(ev.Attrs["workload"])
			w.runHeight, w.owner = ev.Height, ev.Attrs["owner"]
		}
	case "workload":
		w := r.ws[ev.Attrs["id"]]
		if w != nil && ev.Attrs["reason"] != "" {
			w.reason = ev.Attrs["reason"]
		}
		if w != nil && ev.Attrs["state"] == "final" && w.finalHeight == 0 {
			w.finalHeight, w.finalAt = ev.Height, time.Now()
			r.release(w)
		}
	case "settle":
		if w := r.ws[ev.Attrs["workload"]]; w != nil && w.settleHeight == 0 {
			w.settleHeight, w.state = ev.Height, ev.Attrs["state"]
			r.release(w)
		}
	}
	r.checkDone()
	return true
}

// checkDone closes done when sending ended and every accepted Run settled.
func (r *loadRun) checkDone() {
	if r.sending || r.done == nil {
		return
	}
	for _, w := range r.ws {
		if w.accepted && w.settleHeight == 0 {
			return
		}
	}
	close(r.done)
	r.done = nil
}

// loadSender is one user sending Runs through one node.
type loadSender struct {
	key       *client.Key
	c         *client.Client
	chainID   string
	recipient string
	nonce     uint64
}

// runNetworkLoad sends the Runs and waits for them to settle (or the drain to
// end).
func runNetworkLoad(ctx context.Context, o LoadOptions, l *localnet.Layout, clients map[string]*client.Client, keys []*client.Key, prog node.ExampleProgram) (*loadRun, error) {
	obs := clients["node0"]
	r := &loadRun{ws: map[string]*loadWorkload{}, window: map[string]chan struct{}{}, done: make(chan struct{}), sending: true}
	senders, err := loadSenders(ctx, o, l, clients, keys)
	if err != nil {
		return nil, err
	}
	for _, s := range senders {
		r.window[s.key.Address()] = make(chan struct{}, o.Window)
	}
	st, err := obs.Status(ctx)
	if err != nil {
		return nil, err
	}
	fctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	go func() { _ = obs.Events(fctx, client.EventFilter{From: st.Height + 1}, r.observe) }()
	q, err := obs.Fee(ctx, prog.ID, loadCycles, uint32(o.K))
	if err != nil {
		return nil, err
	}
	fp, err := obs.FeeParams(ctx)
	if err != nil {
		return nil, err
	}
	cctx, stopChaos := context.WithCancel(ctx)
	defer stopChaos()
	if o.Chaos > 0 {
		go chaos(cctx, o, l, r)
	}
	go loadProgress(cctx, o, r)
	deadline := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	errs := make(chan error, len(senders))
	for _, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.send(ctx, o, r, prog.ID, q.MinDeadline+client.DefaultDeadlineSlack, fp, deadline); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintf(o.Progress, "load: a sender stopped: %v\n", err)
	}
	r.mu.Lock()
	r.sending = false
	done := r.done
	r.checkDone()
	r.mu.Unlock()
	fmt.Fprintf(o.Progress, "load: every Run sent; waiting up to %s for the last to settle...\n", o.Drain)
	select {
	case <-done:
	case <-time.After(o.Drain):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	stopChaos()
	return r, nil
}

// loadSenders makes one sender per key, sender i sending through validator
// i mod validators (with chaos, all through node0, which stays up: a Run
// in the mempool of a killed node is gone, as any user of that node would
// find).
func loadSenders(ctx context.Context, o LoadOptions, l *localnet.Layout, clients map[string]*client.Client, keys []*client.Key) ([]*loadSender, error) {
	st, err := clients["node0"].Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []*loadSender
	for i, k := range keys {
		via := fmt.Sprintf("node%d", i%o.Validators)
		if o.Chaos > 0 {
			via = "node0"
		}
		id, err := client.LoadOrCreateIdentity(client.IdentityFile(l.Dir, k.Name))
		if err != nil {
			return nil, err
		}
		acct, err := clients[via].Account(ctx, k.Address())
		if err != nil {
			return nil, err
		}
		out = append(out, &loadSender{key: k, c: clients[via], chainID: st.ChainID, recipient: id.Recipient().String(), nonce: acct.Nonce})
	}
	return out, nil
}

// next hands out the next Run to send, or false when there are no more.
func (r *loadRun) next(o LoadOptions, until time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o.Duration > 0 {
		return time.Now().Before(until)
	}
	if r.sent >= o.Workloads {
		return false
	}
	r.sent++
	return true
}

// send sends Runs one after another, each once a window token is free,
// until there are no more.
func (s *loadSender) send(ctx context.Context, o LoadOptions, r *loadRun, program string, deadline int64, fp client.FeeParams, until time.Time) error {
	prog, err := hex.DecodeString(program)
	if err != nil {
		return err
	}
	owner := s.key.Address()
	for r.next(o, until) {
		select {
		case r.window[owner] <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		input := fmt.Appendf(nil, `{"seed": "%x%08x", "iterations": 100}`, s.key.PublicKey()[:4], s.nonce)
		run := &pb.Run{Program: prog, Cycles: loadCycles, Provers: uint32(o.K), Recipient: s.recipient, Deadline: deadline,
			Inputs: []*pb.Input{{Name: "input.json", Data: input}}}
		raw, err := client.SignTx(s.key, s.chainID, s.nonce, 0, fp, &pb.Msg{Kind: &pb.Msg_Run{Run: run}})
		if err != nil {
			return err
		}
		if err := s.broadcast(ctx, r, raw); err != nil {
			<-r.window[owner]
			return err
		}
		a, _ := address.Parse(owner)
		id := hex.EncodeToString(wire.WorkloadID(a, s.nonce, 0))
		s.nonce++
		r.mu.Lock()
		w := r.get(id)
		w.owner, w.sentAt, w.accepted, w.mine = owner, time.Now(), true, true
		r.accepted++
		if w.finalHeight > 0 || w.settleHeight > 0 { // its events came first
			r.release(w)
		}
		r.mu.Unlock()
	}
	return nil
}

// broadcast sends raw until a node's CheckTx takes it: a refusal (a full
// mempool, a node down) is counted and tried again with the same nonce.
func (s *loadSender) broadcast(ctx context.Context, r *loadRun, raw []byte) error {
	var last string
	for try := 0; try < 300; try++ {
		res, err := s.c.Broadcast(ctx, raw)
		if err == nil && res.Code == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("code %d (%s): %s", res.Code, res.CodeName, res.Log)
		}
		r.mu.Lock()
		r.rejected++
		r.mu.Unlock()
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s: a Run refused 300 times, the last: %s", s.key.Name, last)
}

// chaos kills a random node other than node0 every o.Chaos and starts it
// again half an interval later.
func chaos(ctx context.Context, o LoadOptions, l *localnet.Layout, r *loadRun) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.Chaos):
		}
		victim := l.Nodes[1+rng.IntN(len(l.Nodes)-1)].Name
		if _, err := localnet.Stop(l, localnet.StopOptions{Names: []string{victim}, Kill: true}); err != nil {
			fmt.Fprintf(o.Progress, "load: chaos: kill %s: %v\n", victim, err)
			continue
		}
		r.mu.Lock()
		r.kills++
		r.mu.Unlock()
		fmt.Fprintf(o.Progress, "load: chaos: killed %s\n", victim)
		time.Sleep(o.Chaos / 2)
		if _, err := localnet.Start(context.WithoutCancel(ctx), l, localnet.StartOptions{Exe: o.Exe, Names: []string{victim}, Ready: 2 * time.Minute}); err != nil {
			fmt.Fprintf(o.Progress, "load: chaos: restart %s: %v\n", victim, err)
		}
	}
}

// loadProgress prints a line every 10 seconds.
func loadProgress(ctx context.Context, o LoadOptions, r *loadRun) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		final, settled := 0, 0
		for _, w := range r.ws {
			if w.finalHeight > 0 {
				final++
			}
			if w.settleHeight > 0 {
				settled++
			}
		}
		fmt.Fprintf(o.Progress, "load: height %d: %d Runs accepted, %d final, %d settled, %d refusals\n", r.maxHeight, r.accepted, final, settled, r.rejected)
		r.mu.Unlock()
	}
}
