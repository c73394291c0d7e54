package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{OutcomeProof: "proof", OutcomeFail: "fail", 0: "unknown", 3: "unknown", 255: "unknown"} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", o, got, want)
		}
	}
}

func TestHeaderLayout(t *testing.T) {
	h := testHeader()
	h.Outcome = OutcomeFail
	b := h.Marshal()
	if len(b) != HeaderSize || HeaderSize != 85 {
		t.Fatalf("len = %d, HeaderSize = %d, want 85", len(b), HeaderSize)
	}
	want := "provernet/result/v1\n" +
		string(h.Workload[:]) +
		"\x00\x00\x00\x03" +
		string(h.Prover[:]) +
		"\x02" +
		"\x00\x00\x00\x00\x07\x5b\xcd\x15"
	if string(b) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", hex.Dump(b), hex.Dump([]byte(want)))
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{testHeader(), {Outcome: OutcomeFail}, {Slot: ^uint32(0), Outcome: OutcomeProof, CyclesUsed: ^uint64(0)}} {
		got, err := ParseHeader(h.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Fatalf("got %+v, want %+v", got, h)
		}
	}
}

func TestParseHeaderRejects(t *testing.T) {
	good := testHeader().Marshal()
	badMagic := bytes.Clone(good)
	badMagic[0] = 'P'
	v2 := bytes.Clone(good)
	copy(v2, "provernet/result/v2\n")
	cases := map[string][]byte{
		"empty":       nil,
		"short":       good[:HeaderSize-1],
		"long":        append(bytes.Clone(good), 0),
		"bad magic":   badMagic,
		"v2 magic":    v2,
		"outcome 0":   withOutcome(good, 0),
		"outcome 3":   withOutcome(good, 3),
		"outcome 255": withOutcome(good, 255),
	}
	for name, b := range cases {
		_, err := ParseHeader(b)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	if _, err := ParseHeader(withOutcome(good, 0)); err == nil || !strings.Contains(err.Error(), "outcome") {
		t.Errorf("bad outcome error %v does not say outcome", err)
	}
}

func withOutcome(b []byte, o byte) []byte {
	b = bytes.Clone(b)
	b[HeaderSize-9] = o
	return b
}
