// Package txn encodes, signs, decodes and verifies provernet transactions.
//
// A transaction is a pb.Tx: the exact bytes of a pb.TxBody plus an ed25519
// signature over SignPrefix || body. The body names the chain id, the
// sender's public key, the sender's next nonce, the fee and the messages, so
// the signature covers (chain id, sender, nonce, body) as PROTOCOL.md 2
// requires. Decoding never panics and never trusts lengths it did not check;
// stateful checks (nonce, funds) belong to the protocol package.
package txn

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519/extra/cache"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// SignPrefix separates provernet transaction signatures from any other use
// of the same key.
const SignPrefix = "provernet/tx/v1\x00"

// Sentinel errors; the protocol maps each to a stable result code.
var (
	ErrMalformed    = errors.New("malformed transaction")
	ErrBadSignature = errors.New("bad signature")
	ErrNoMessages   = errors.New("transaction has no messages")
	ErrUnknownMsg   = errors.New("unknown message")
)

// Tx is a decoded, signature-checked transaction.
type Tx struct {
	Body   *pb.TxBody
	Sender address.Address
	Raw    []byte // the wire bytes, as included in a block
}

var marshal = proto.MarshalOptions{Deterministic: true}

// Sign builds the wire bytes of a transaction signed by key.
func Sign(key ed25519.PrivateKey, body *pb.TxBody) ([]byte, error) {
	body.Sender = append([]byte(nil), key.Public().(ed25519.PublicKey)...)
	bodyBytes, err := marshal.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("failed to encode body: %w", err)
	}
	sig := ed25519.Sign(key, signBytes(bodyBytes))
	raw, err := marshal.Marshal(&pb.Tx{Body: bodyBytes, Signature: sig})
	if err != nil {
		return nil, fmt.Errorf("failed to encode tx: %w", err)
	}
	return raw, nil
}

// Decode parses wire bytes and checks the signature and the message kinds.
// It does not check the chain id, nonce, fee or funds.
func Decode(raw []byte) (*Tx, error) {
	var wire pb.Tx
	if err := proto.Unmarshal(raw, &wire); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var body pb.TxBody
	if err := proto.Unmarshal(wire.Body, &body); err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	if len(body.Sender) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: sender key is %d bytes, want %d", ErrMalformed, len(body.Sender), ed25519.PublicKeySize)
	}
	if len(wire.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrBadSignature, len(wire.Signature), ed25519.SignatureSize)
	}
	if !verify(body.Sender, signBytes(wire.Body), wire.Signature) {
		return nil, fmt.Errorf("%w: does not verify for sender %s", ErrBadSignature, address.FromPublicKey(body.Sender))
	}
	if err := checkMessages(body.Messages); err != nil {
		return nil, err
	}
	return &Tx{Body: &body, Sender: address.FromPublicKey(body.Sender), Raw: raw}, nil
}

func checkMessages(msgs []*pb.Msg) error {
	if len(msgs) == 0 {
		return ErrNoMessages
	}
	for i, m := range msgs {
		if m.GetKind() == nil {
			return fmt.Errorf("%w at index %d (a newer client, or a wrong chain?)", ErrUnknownMsg, i)
		}
	}
	return nil
}

// verifier checks signatures with curve25519-voi under the ZIP-215 rules,
// the rules CometBFT applies to validator signatures: every node accepts
// exactly the same set of signatures, and it is about a third faster than
// crypto/ed25519, more with the cache of expanded public keys (senders
// repeat). Signatures made by crypto/ed25519 always verify. The cache
// holds 16384 keys (about 2.5 KB each): a block's senders include every
// voting prover, and with 8192 a network of 10,000 provers missed it on
// every vote (provernet bench workloads: CheckTx of the block 8% slower).
var verifier = cache.NewVerifier(cache.NewLRUCache(16384))

var zip215 = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// verify reports whether sig is pub's signature of msg.
func verify(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return verifier.VerifyWithOptions(voi.PublicKey(pub), msg, sig, zip215)
}

func signBytes(body []byte) []byte {
	out := make([]byte, 0, len(SignPrefix)+len(body))
	return append(append(out, SignPrefix...), body...)
}
