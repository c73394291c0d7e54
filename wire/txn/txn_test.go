package txn

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
}

func transferBody(nonce uint64) *pb.TxBody {
	to := address.FromPublicKey(testKey(2).Public().(ed25519.PublicKey))
	return &pb.TxBody{
		ChainId:  "test-1",
		Nonce:    nonce,
		Fee:      1000,
		Messages: []*pb.Msg{{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to[:], Amount: 42}}}},
	}
}

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	raw, err := Sign(key, transferBody(7))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := address.FromPublicKey(key.Public().(ed25519.PublicKey)); tx.Sender != want {
		t.Fatalf("sender %s, want %s", tx.Sender, want)
	}
	if tx.Body.Nonce != 7 || tx.Body.ChainId != "test-1" || tx.Body.Messages[0].GetTransfer().Amount != 42 {
		t.Fatalf("decoded body differs: %v", tx.Body)
	}
	again, err := Sign(key, tx.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, raw) {
		t.Fatal("re-encoding a decoded body changed its bytes")
	}
}

func TestDecodeRejects(t *testing.T) {
	key := testKey(1)
	good, err := Sign(key, transferBody(0))
	if err != nil {
		t.Fatal(err)
	}
	var wire pb.Tx
	if err := proto.Unmarshal(good, &wire); err != nil {
		t.Fatal(err)
	}
	flipped := proto.Clone(&wire).(*pb.Tx)
	flipped.Signature[0] ^= 1
	tampered := proto.Clone(&wire).(*pb.Tx)
	tampered.Body = append([]byte(nil), wire.Body...)
	tampered.Body[len(tampered.Body)-1] ^= 1 // the amount

	empty := transferBody(0)
	empty.Messages = nil
	unknown := transferBody(0)
	unknown.Messages = []*pb.Msg{{}}

	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, ErrMalformed},
		{"flipped signature", mustMarshal(t, flipped), ErrBadSignature},
		{"tampered body", mustMarshal(t, tampered), ErrBadSignature},
		{"no messages", mustSign(t, key, empty), ErrNoMessages},
		{"unknown message", mustSign(t, key, unknown), ErrUnknownMsg},
	}
	for _, c := range cases {
		if _, err := Decode(c.raw); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSign(t *testing.T, key ed25519.PrivateKey, body *pb.TxBody) []byte {
	t.Helper()
	b, err := Sign(key, body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to a transaction that decodes to the same body.
func FuzzDecode(f *testing.F) {
	key := testKey(1)
	good, _ := Sign(key, transferBody(3))
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := Decode(raw)
		if err != nil {
			return
		}
		body, err := proto.Marshal(tx.Body)
		if err != nil {
			t.Fatalf("accepted body does not re-encode: %v", err)
		}
		var back pb.TxBody
		if err := proto.Unmarshal(body, &back); err != nil || !proto.Equal(&back, tx.Body) {
			t.Fatalf("accepted body does not round-trip: %v", err)
		}
	})
}

// TestVerifyAgreesWithStdlib: the chain checks signatures with
// curve25519-voi (ZIP-215); every signature crypto/ed25519 makes must
// verify, and a changed message or signature must not.
func TestVerifyAgreesWithStdlib(t *testing.T) {
	for i := 0; i < 300; i++ {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		msg := bytes.Repeat([]byte{byte(i)}, i%97)
		sig := ed25519.Sign(priv, msg)
		if !verify(pub, msg, sig) {
			t.Fatalf("signature %d from crypto/ed25519 rejected", i)
		}
		bad := append([]byte(nil), sig...)
		bad[i%64] ^= 1 << (i % 8)
		if verify(pub, msg, bad) || verify(pub, append(msg, 1), sig) {
			t.Fatalf("tampered signature or message %d accepted", i)
		}
	}
	if verify(make([]byte, 31), nil, make([]byte, 64)) || verify(make([]byte, 32), nil, make([]byte, 63)) {
		t.Fatal("wrong-length key or signature accepted")
	}
}
