package prover

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/wire/pb"
)

// The daemon's asks (issue 17, docs/MARKET.md): Config.Asks are the asks
// the prover keeps on the market. At start, after registration, the
// daemon reads the prover's asks on chain and sends, in one transaction,
// a SetAsk for each configured ask the chain lacks or holds otherwise. It
// removes none: asks set by hand (provernet tx prover ask) stay.

// pathAsks and proverAsksRequest are the node's /asks query for one
// prover's asks (chain.PathAsks, chain.AsksRequest's JSON; the chain's
// tests import this package, so it cannot import theirs).
const pathAsks = "/asks"

type proverAsksRequest struct {
	Prover []byte `json:"prover"`
}

// setAsks sends the configured asks the chain does not hold as configured.
func (d *Daemon) setAsks(ctx context.Context) error {
	if len(d.cfg.Asks) == 0 {
		return nil
	}
	req, err := json.Marshal(proverAsksRequest{Prover: d.addr[:]})
	if err != nil {
		return err
	}
	b, err := d.chain.query(ctx, pathAsks, req)
	if err != nil {
		return fmt.Errorf("failed to read the prover's asks: %w", err)
	}
	var have pb.AskList
	if err := proto.Unmarshal(b, &have); err != nil {
		return fmt.Errorf("failed to decode the prover's asks: %w", err)
	}
	var msgs []*pb.Msg
	for _, want := range d.cfg.Asks {
		if !slices.ContainsFunc(have.Asks, func(a *pb.Ask) bool { return sameAsk(a, want) }) {
			msgs = append(msgs, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: proto.CloneOf(want)}})
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := d.signer.send(ctx, d.chain, msgs...); err != nil {
		return fmt.Errorf("failed to set the prover's asks: %w", err)
	}
	d.cfg.Log.Info("asks set", "prover", d.addr.String(), "asks", len(msgs))
	return nil
}

// sameAsk reports whether the chain's ask a is the configured m.
func sameAsk(a *pb.Ask, m *pb.SetAsk) bool {
	return a.Id == m.Id && a.Price == m.Price && a.Latency == m.Latency && slices.Equal(a.Classes, m.Classes) &&
		slices.EqualFunc(a.Programs, m.Programs, bytes.Equal)
}
