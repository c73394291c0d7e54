package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

// repriceOpts are run's price-discovery flags (issue 17, docs/MARKET.md
// "Price discovery"): a market Run that would match no ask raises its
// max price by --reprice up to --max-price instead of failing.
type repriceOpts struct {
	step  uint64 // --reprice: uprv per Mcycle added at each step (0: off)
	start uint64 // --start-price: the first max price tried (0: the step)
}

func addRepriceFlags(f *pflag.FlagSet, o *repriceOpts) {
	f.Uint64Var(&o.step, "reprice", 0, "market/cheapest: start at --start-price and raise the max price by this many uprv/Mcycle until an ask matches, up to --max-price")
	f.Uint64Var(&o.start, "start-price", 0, "with --reprice: the first max price tried, uprv/Mcycle (default: the --reprice step)")
}

// check refuses --reprice without a market order, or a start above the cap.
func (o repriceOpts) check(m *client.MarketRequest) error {
	if o.step == 0 {
		if o.start != 0 {
			return cli.WithHint(errors.New("--start-price needs --reprice"), "--reprice STEP raises the max price from --start-price in steps of STEP")
		}
		return nil
	}
	if m == nil {
		return cli.WithHint(errors.New("--reprice needs --mechanism market or cheapest"), "the lottery's price is the chain's, not an ask's")
	}
	if o.first() > m.MaxPrice {
		return cli.WithHint(fmt.Errorf("--start-price %d is above --max-price %d", o.first(), m.MaxPrice), "--max-price is the cap the steps stop at")
	}
	return nil
}

func (o repriceOpts) first() uint64 {
	if o.start > 0 {
		return o.start
	}
	return o.step
}

// next is the price after p, or false once p is the cap.
func (o repriceOpts) next(p, limit uint64) (uint64, bool) {
	if p >= limit {
		return 0, false
	}
	if limit-p < o.step {
		return limit, true
	}
	return p + o.step, true
}

// repriceSubmit sends a market Run at the lowest max price, from the first
// in steps up to the cap, at which it matches an ask. A price at which the
// node's quote names no ask is passed over without sending anything (it
// would only fail and cost its transaction fee); a Run sent that still
// matched nothing (the book moved before its block) is refunded whole by
// the chain and sent again one step up. It returns the Run that matched and
// the max prices tried, in order; req.Market.MaxPrice is left at the price
// sent.
func repriceSubmit(ctx context.Context, g *globals, c *client.Client, key *client.Key, req *client.RunRequest, o runOpts) (*client.Submitted, []uint64, error) {
	m, limit := req.Market, req.Market.MaxPrice
	var tried []uint64
	for price, ok := o.reprice.first(), true; ok; price, ok = o.reprice.next(price, limit) {
		m.MaxPrice = price
		tried = append(tried, price)
		q, err := c.QuoteRun(ctx, key, *req)
		if err != nil {
			return nil, tried, nodeErr(err)
		}
		if len(q.Asks) == 0 {
			runSay(g, "reprice: no ask matches at %d uprv/Mcycle", price)
			continue
		}
		if err := runQuote(ctx, g, c, key, *req, o.from); err != nil {
			return nil, tried, err
		}
		sub, err := c.SubmitRun(ctx, key, *req)
		if err != nil {
			return nil, tried, nodeErr(err)
		}
		w, err := waitMatched(ctx, c, sub)
		if err != nil {
			return sub, tried, err
		}
		if w.State != wire.WorkloadExpired || w.Reason != "no_matching_ask" {
			runSay(g, "reprice: matched at %d uprv/Mcycle", price)
			return sub, tried, nil
		}
		runSay(g, "reprice: workload %s matched no ask at %d uprv/Mcycle (the book moved; refunded)", sub.Workload, price)
	}
	return nil, tried, cli.WithHint(fmt.Errorf("no ask matched at any max price up to %d uprv/Mcycle (tried %v)", limit, tried),
		"nothing was spent on the prices no ask matched; raise --max-price or --max-latency, or see the book with `provernet query market "+req.Program+"`")
}

// waitMatched waits for a market Run's block and its match at the next
// height.
func waitMatched(ctx context.Context, c *client.Client, sub *client.Submitted) (*wire.Workload, error) {
	tx, err := c.WaitTx(ctx, sub.TxHash)
	if err != nil {
		return nil, nodeErr(err)
	}
	if err := client.TxError(tx); err != nil {
		return nil, nodeErr(err)
	}
	w, err := c.WaitWorkload(ctx, sub.Workload, runPoll, nil, func(w *wire.Workload) bool { return w.State != wire.WorkloadPending })
	return w, nodeErr(err)
}
