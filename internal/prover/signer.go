package prover

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// nextNonce finds the expected nonce in a wrong_nonce refusal.
var nextNonce = regexp.MustCompile(`its next nonce is (\d+)`)

// signer assigns nonces to the daemon's transactions. Only Run's goroutine
// uses it. It trusts its own counter while the node accepts what it sends,
// and re-reads the account's nonce when the node says the nonce is wrong
// (a transaction it sent was dropped, or another process used the key).
type signer struct {
	key     *client.Key
	addr    address.Address
	chainID string
	fees    client.FeeParams
	next    uint64
	synced  bool
	metrics *metrics // counts each broadcast
}

func (s *signer) sync(ctx context.Context, c *chain) error {
	acct, err := c.account(ctx, s.addr[:])
	if err != nil {
		return err
	}
	s.next, s.synced = acct.Nonce, true
	return nil
}

// send signs msgs with the next nonce and broadcasts them; a refusal by
// CheckTx is returned as an error carrying the node's log.
func (s *signer) send(ctx context.Context, c *chain, msgs ...*pb.Msg) error {
	for attempt := 0; attempt < 2; attempt++ {
		if !s.synced {
			if err := s.sync(ctx, c); err != nil {
				return err
			}
		}
		raw, err := client.SignTx(s.key, s.chainID, s.next, 0, s.fees, msgs...)
		if err != nil {
			return err
		}
		code, log, err := c.broadcast(ctx, raw)
		s.metrics.observeTx(msgs, wire.Code(code), err)
		if err != nil {
			s.synced = false
			return err
		}
		switch wire.Code(code) {
		case wire.CodeOK:
			s.next++
			return nil
		case wire.CodeWrongNonce:
			// The log names the nonce the node's pending state expects,
			// which is ahead of the committed account while our own
			// transactions wait in the mempool.
			if n, ok := expectedNonce(log); ok {
				s.next = n
				continue
			}
			s.synced = false // re-read and try once more
			continue
		}
		return fmt.Errorf("refused (%s): %s", wire.Code(code), log)
	}
	return fmt.Errorf("refused: nonce still wrong after re-reading the account")
}

// expectedNonce reads the nonce a wrong_nonce refusal names.
func expectedNonce(log string) (uint64, bool) {
	m := nextNonce.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	return n, err == nil
}
