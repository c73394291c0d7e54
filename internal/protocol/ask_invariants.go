package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// CheckBook verifies the market's book (ask_keys.go, ask_book.go) against
// a scan of every prover and ask: mkt/b/ and mkt/l/ hold exactly the
// entries of the asks of active provers with room (held below
// max_concurrent: inBook), each with its latency and height. Tests call
// it after every block (CheckInvariants), and TestActiveIndexDifferential
// after every prover state transition.
func CheckBook(r store.Reader) error {
	want := map[string][]byte{}
	var errs []error
	err := Scan(r, prefixAsk, func(a *pb.Ask) bool {
		p, err := proverAt(r, a.Prover)
		if err != nil {
			errs = append(errs, fmt.Errorf("ask %d of %x: %w", a.Id, a.Prover, err))
			return len(errs) < 10
		}
		if !inBook(p) {
			return true
		}
		height := binary.BigEndian.AppendUint64(nil, uint64(a.Height))
		for _, t := range askTargetKeys(a) {
			want[string(bookPriceKey(t, a.Price, a.Latency, a.Prover, a.Id))] = height
			want[string(bookTimeKey(t, a.Latency, a.Price, a.Prover, a.Id))] = height
		}
		return true
	})
	if err != nil || len(errs) > 0 {
		return errors.Join(append(errs, err)...)
	}
	seen := 0
	check := func(k, v []byte) error {
		w, ok := want[string(k)]
		switch {
		case !ok:
			return fmt.Errorf("book: entry %x is no ask of an active prover with room", k)
		case !bytes.Equal(v, w):
			return fmt.Errorf("book: entry %x holds %x, its ask says %x", k, v, w)
		}
		seen++
		return nil
	}
	errs = append(errs, checkIndexed(r, prefixBookPrice, check), checkIndexed(r, prefixBookTime, check))
	if seen != len(want) && len(errs) == 2 && errs[0] == nil && errs[1] == nil {
		errs = append(errs, fmt.Errorf("book: %d entries, the asks of active provers with room make %d", seen, len(want)))
	}
	return errors.Join(errs...)
}
