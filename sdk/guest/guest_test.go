package guest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/provernet/provernet/sdk/zkabi"
)

// TestRequestRoundTrip checks that what a call sends is exactly what the
// host's decoder reads back.
func TestRequestRoundTrip(t *testing.T) {
	cases := []struct {
		op      zkabi.Op
		sys     zkabi.System
		curve   zkabi.Curve
		a, b, c Arg
	}{
		{zkabi.OpProve, zkabi.Groth16, zkabi.BN254, File("cs.bin"), File("pk.bin"), Bytes([]byte{0, 0, 0, 1, 0, 0, 0, 1})},
		{zkabi.OpVerify, zkabi.PLONK, zkabi.BLS12381, File("vk.bin"), Bytes(bytes.Repeat([]byte{7}, 1000)), Bytes(nil)},
		{zkabi.OpVerify, zkabi.Groth16, zkabi.BW6761, Bytes([]byte("vk")), File("proof"), File("public.bin")},
	}
	for _, c := range cases {
		req := encodeRequest(c.op, c.sys, c.curve, c.a, c.b, c.c)
		if want := zkabi.HeaderLen + 3*zkabi.ArgHeader + len(c.a.Data) + len(c.b.Data) + len(c.c.Data); len(req) != want || cap(req) != want {
			t.Fatalf("request of %d bytes (cap %d), want %d", len(req), cap(req), want)
		}
		got, err := zkabi.Decode(req)
		if err != nil {
			t.Fatalf("%v %v %v: decode: %v", c.op, c.sys, c.curve, err)
		}
		if got.Op != c.op || got.System != c.sys || got.Curve != c.curve {
			t.Fatalf("header %v %v %v, want %v %v %v", got.Op, got.System, got.Curve, c.op, c.sys, c.curve)
		}
		for i, want := range []Arg{c.a, c.b, c.c} {
			if got.Args[i].Kind != want.Kind || !bytes.Equal(got.Args[i].Data, want.Data) {
				t.Fatalf("argument %d: %v %q, want %v %q", i, got.Args[i].Kind, got.Args[i].Data, want.Kind, want.Data)
			}
		}
	}
}

// TestRequestLayout pins the bytes of one request against the format
// documented in sdk/zkabi, so a change on either side shows.
func TestRequestLayout(t *testing.T) {
	req := encodeRequest(zkabi.OpProve, zkabi.Groth16, zkabi.BN254, File("cs"), Bytes([]byte{9}), Bytes(nil))
	want := []byte("PZK1\x01\x01\x01\x00" +
		"\x02\x02\x00\x00\x00cs" +
		"\x01\x01\x00\x00\x00\x09" +
		"\x01\x00\x00\x00\x00")
	if !bytes.Equal(req, want) {
		t.Fatalf("request\n%q\nwant\n%q", req, want)
	}
}

// TestBadArgumentsReachTheHost: the guest does not second-guess arguments
// (the host answers ErrRequest), but what it sends is what zkabi rejects.
func TestBadArgumentsReachTheHost(t *testing.T) {
	for _, name := range []string{"", "a/b", "..", strings.Repeat("x", zkabi.MaxNameLen+1)} {
		req := encodeRequest(zkabi.OpVerify, zkabi.Groth16, zkabi.BN254, File(name), Bytes(nil), Bytes(nil))
		if _, err := zkabi.Decode(req); !errors.Is(err, zkabi.ErrMalformed) {
			t.Fatalf("file name %q: decode error %v, want malformed", name, err)
		}
	}
}

type marshaler struct {
	b   []byte
	err error
}

func (m marshaler) MarshalBinary() ([]byte, error) { return m.b, m.err }

// TestNoHost: natively every call fails with ErrNoHost, after the witness
// was marshalled (whose error comes first).
func TestNoHost(t *testing.T) {
	if _, err := Prove(zkabi.Groth16, zkabi.BN254, File("cs.bin"), File("pk.bin"), marshaler{b: []byte{1}}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("Prove: %v, want ErrNoHost", err)
	}
	if err := Verify(zkabi.Groth16, zkabi.BN254, File("vk.bin"), []byte{1}, marshaler{}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("Verify: %v, want ErrNoHost", err)
	}
	if _, err := ProveArgs(zkabi.PLONK, zkabi.BLS12381, File("cs.bin"), File("pk.bin"), File("w.bin")); !errors.Is(err, ErrNoHost) {
		t.Fatalf("ProveArgs: %v, want ErrNoHost", err)
	}
	if err := VerifyArgs(zkabi.PLONK, zkabi.BLS12381, File("vk.bin"), File("proof"), Bytes(nil)); !errors.Is(err, ErrNoHost) {
		t.Fatalf("VerifyArgs: %v, want ErrNoHost", err)
	}
	boom := errors.New("boom")
	if _, err := Prove(zkabi.Groth16, zkabi.BN254, File("cs.bin"), File("pk.bin"), marshaler{err: boom}); !errors.Is(err, boom) {
		t.Fatalf("Prove with a failing witness: %v, want it wrapped", err)
	}
	if err := Verify(zkabi.Groth16, zkabi.BN254, File("vk.bin"), nil, nil); err == nil || errors.Is(err, ErrNoHost) {
		t.Fatalf("Verify with a nil witness: %v", err)
	}
}

func TestHostError(t *testing.T) {
	var err error = &HostError{Op: zkabi.OpVerify, Status: zkabi.ErrKey, Message: "vk.bin: short read"}
	if got, want := err.Error(), "guest: verify: bad key: vk.bin: short read"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	var he *HostError
	if !errors.As(err, &he) || he.Status != zkabi.ErrKey || errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.As: %v", he)
	}
	if got := (&HostError{Op: zkabi.OpProve, Status: zkabi.ErrUnsatisfied}).Error(); got != "guest: prove: unsatisfied constraints" {
		t.Fatalf("%q", got)
	}
	// A message that repeats the status is not repeated.
	if got := (&HostError{Op: zkabi.OpVerify, Status: zkabi.ErrProof, Message: "bad proof: point 2"}).Error(); got != "guest: verify: bad proof: point 2" {
		t.Fatalf("%q", got)
	}
}
