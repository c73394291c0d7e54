package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/txn"
)

// RunQuote is what a Run costs its sender, worked out before it is sent.
type RunQuote struct {
	*wire.FeeQuote        // the Run's fee, escrowed by it
	TxFee          uint64 // the transaction's own fee: the chain's minimum for the signed Run's size
	Balance        uint64 // the sender's balance now (0 for an account the chain does not know)
	Deadline       int64  // the deadline (blocks) the Run asks for
}

// Total is what the sender pays: the escrowed fee and the transaction fee.
func (q *RunQuote) Total() uint64 { return q.Fee + q.TxFee }

// ErrCannotPay is returned by RunQuote.Check when the balance does not
// cover the Run.
var ErrCannotPay = errors.New("the balance cannot pay for the Run")

// Check refuses a Run whose fee is above maxFee (0: no limit) or that the
// balance cannot pay, with ErrOverMaxFee or ErrCannotPay.
func (q *RunQuote) Check(maxFee uint64) error {
	if maxFee > 0 && q.Fee > maxFee {
		return fmt.Errorf("%w: the Run costs %d uprv, the maximum is %d", ErrOverMaxFee, q.Fee, maxFee)
	}
	if q.Balance < q.Total() {
		return fmt.Errorf("%w: it costs %d uprv plus %d uprv of transaction fee, the balance is %d uprv",
			ErrCannotPay, q.Fee, q.TxFee, q.Balance)
	}
	return nil
}

// QuoteRun works out what SubmitRun(ctx, key, req) would cost key: the
// Run's fee, the transaction's fee (the Run is built and signed as it would
// be sent, so its size is exact) and key's balance. Nothing is sent.
func (c *Client) QuoteRun(ctx context.Context, key *Key, req RunRequest) (*RunQuote, error) {
	pr, err := c.prepareRun(ctx, req)
	if err != nil {
		return nil, err
	}
	params, fq, msg := pr.params, pr.quote, pr.msg
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var acct wire.Account
	switch a, err := c.Account(ctx, key.Address()); {
	case err == nil:
		acct = *a
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	raw, err := SignTx(key, st.ChainID, acct.Nonce, 0, FeeParamsOf(params), msg)
	if err != nil {
		return nil, err
	}
	tx, err := txn.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("failed to read back the signed Run: %w", err)
	}
	return &RunQuote{FeeQuote: fq, TxFee: tx.Body.Fee, Balance: acct.Balance,
		Deadline: msg.GetRun().Deadline}, nil
}
