package prover

import (
	"errors"
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestDaemonStopsWhenItsHotKeyGoes: a daemon signing with a hot key works
// while its prover's record names that key and stops, with
// ErrHotKeyGone, once the record names another key or none; a daemon
// signing with the prover's own key never stops for this.
func TestDaemonStopsWhenItsHotKeyGoes(t *testing.T) {
	prover, hot, other := address.Address{1}, address.Address{2}, address.Address{3}
	for _, c := range []struct {
		signer, named address.Address
		named0        bool // the record names no hot key
		stops         bool
	}{
		{signer: hot, named: hot},
		{signer: hot, named: other, stops: true},
		{signer: hot, named0: true, stops: true},
		{signer: prover, named: other},
		{signer: prover, named0: true},
	} {
		me := &pb.Prover{Address: prover[:], HotKey: c.named[:]}
		if c.named0 {
			me.HotKey = nil
		}
		d := &Daemon{addr: prover, me: me, signer: &signer{addr: c.signer}}
		if err := d.stillHotKey(); errors.Is(err, ErrHotKeyGone) != c.stops {
			t.Errorf("signer %v, record names %x: %v (want stopping %v)", c.signer, me.HotKey, err, c.stops)
		}
	}
}
