package seal

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Outcome is how the prover's run ended.
type Outcome uint8

const (
	OutcomeProof Outcome = 1 // the program completed
	OutcomeFail  Outcome = 2 // it hit the cycle limit
)

// String returns "proof", "fail" or "unknown".
func (o Outcome) String() string {
	switch o {
	case OutcomeProof:
		return "proof"
	case OutcomeFail:
		return "fail"
	}
	return "unknown"
}

func (o Outcome) valid() bool { return o == OutcomeProof || o == OutcomeFail }

// Header binds a result to its workload, slot and prover.
type Header struct {
	Workload   [32]byte
	Slot       uint32
	Prover     [20]byte
	Outcome    Outcome
	CyclesUsed uint64
}

// magic opens every encoded Header.
const magic = "provernet/result/v1\n"

// HeaderSize is the fixed size of the encoded header: magic, workload,
// slot (big-endian), prover, outcome, cycles used (big-endian).
const HeaderSize = len(magic) + 32 + 4 + 20 + 1 + 8

// Marshal encodes h in HeaderSize bytes. It encodes any Outcome as is;
// Seal refuses an invalid one.
func (h Header) Marshal() []byte {
	b := make([]byte, 0, HeaderSize)
	b = append(b, magic...)
	b = append(b, h.Workload[:]...)
	b = binary.BigEndian.AppendUint32(b, h.Slot)
	b = append(b, h.Prover[:]...)
	b = append(b, byte(h.Outcome))
	return binary.BigEndian.AppendUint64(b, h.CyclesUsed)
}

// ParseHeader decodes exactly HeaderSize bytes, checking the magic and that
// the outcome is proof or fail. Errors wrap ErrMalformed.
func ParseHeader(b []byte) (Header, error) {
	if len(b) != HeaderSize {
		return Header{}, fmt.Errorf("%w: header is %d bytes, want %d", ErrMalformed, len(b), HeaderSize)
	}
	if !bytes.HasPrefix(b, []byte(magic)) {
		return Header{}, fmt.Errorf("%w: header does not start with %q", ErrMalformed, magic)
	}
	var h Header
	b = b[len(magic):]
	b = b[copy(h.Workload[:], b):]
	h.Slot = binary.BigEndian.Uint32(b)
	b = b[4:]
	b = b[copy(h.Prover[:], b):]
	h.Outcome = Outcome(b[0])
	h.CyclesUsed = binary.BigEndian.Uint64(b[1:])
	if !h.Outcome.valid() {
		return Header{}, fmt.Errorf("%w: unknown outcome %d", ErrMalformed, h.Outcome)
	}
	return h, nil
}
