package protocol

import (
	"encoding/binary"
)

// Store keys of the market (issue 17, docs/MARKET.md). A prover's asks
// live under ask/<prover>, one record per ask id; the book indexes every
// ask under each target it serves (a program, or a resource class), once
// by price and once by latency, so that a market Run reads only the
// cheapest (or fastest) asks for its program and class, never the whole
// set. Only the asks of an active prover with room are in the book
// (indexProver indexes them when it becomes active with room, or a slot
// of a full one frees, and takes them out when it stops being either;
// ask_book.go); the records stay, and go when the prover exits. Each entry
// carries the height its ask was set at, so that a Run matches only the
// asks set before it was included. Each order sorts by both of the
// matcher's first two keys (price then latency, or latency then price),
// so that a Run's read meets the asks in the matcher's own order up to
// ties of both, and can stop once its k are taken (market_read.go):
//
//	ask/<prover 20><id 4>                                   -> Ask
//	mkt/b/<target>/<price 8><latency 8><prover 20><id 4>    -> height (8)
//	mkt/l/<target>/<latency 8><price 8><prover 20><id 4>    -> height (8)
//	mkt/q/<height 8>/<seq 8>                                -> workload id (market Runs to match at height+1)
//	mkt/c/<program 32>                                      -> ClearingPrices
//
// A target is 'p' and a 32-byte program id, or 'c' and a class name.
var (
	prefixAsk       = []byte("ask/")
	prefixBookPrice = []byte("mkt/b/")
	prefixBookTime  = []byte("mkt/l/")
	prefixMarketQ   = []byte("mkt/q/")
	prefixClearing  = []byte("mkt/c/")
	askTailLen      = 20 + 4 // prover, ask id
	bookTailLen     = 8 + 8 + askTailLen
)

func askKey(prover []byte, id uint32) []byte {
	return binary.BigEndian.AppendUint32(append(append([]byte{}, prefixAsk...), prover...), id)
}

func proverAsksPrefix(prover []byte) []byte { return append(append([]byte{}, prefixAsk...), prover...) }

// programTarget and classTarget name what an ask serves in the book.
func programTarget(id []byte) []byte  { return append([]byte{'p'}, id...) }
func classTarget(class string) []byte { return append([]byte{'c'}, class...) }

func bookPricePrefix(target []byte) []byte {
	return append(append(append([]byte{}, prefixBookPrice...), target...), '/')
}

func bookTimePrefix(target []byte) []byte {
	return append(append(append([]byte{}, prefixBookTime...), target...), '/')
}

func bookPriceKey(target []byte, price uint64, latency int64, prover []byte, id uint32) []byte {
	k := binary.BigEndian.AppendUint64(bookPricePrefix(target), price)
	k = binary.BigEndian.AppendUint64(k, uint64(latency))
	return binary.BigEndian.AppendUint32(append(k, prover...), id)
}

func bookTimeKey(target []byte, latency int64, price uint64, prover []byte, id uint32) []byte {
	k := binary.BigEndian.AppendUint64(bookTimePrefix(target), uint64(latency))
	k = binary.BigEndian.AppendUint64(k, price)
	return binary.BigEndian.AppendUint32(append(k, prover...), id)
}

func marketQueueKey(h int64, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(heightPrefix(prefixMarketQ, h), '/'), seq)
}

func clearingKey(program []byte) []byte {
	return append(append([]byte{}, prefixClearing...), program...)
}

// AskKey is the store key of one ask (for proven queries).
func AskKey(prover []byte, id uint32) []byte { return askKey(prover, id) }
