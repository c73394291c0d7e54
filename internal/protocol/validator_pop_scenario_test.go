package protocol_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The keys of scenario validators, and the CreateValidator they prove
// possession with (staking review):
//
//	validator-create from=NAME key=V stake=N [vrf=W] [vrf-len=N] [pop-by=NAME] [pop-vrf=W] [vrf-pop-by=NAME]
//	                 [pop-chain=ID] [pop=none|bad] [vrf-pop=none|bad] [cons=not-point|small-order]
//	                 [vrf-key=not-point|small-order]
//
// By default the consensus key V signs wire.ValidatorPoPMessage for the
// sender, the chain and V's VRF key, and V's VRF key proves
// wire.ValidatorVRFPoPAlpha for the sender and the chain. vrf=W registers
// W's VRF key instead (its proof by W). What a thief can copy from another
// operator's CreateValidator: pop-by=NAME, the consensus key's signature
// made for operator NAME, pop-vrf=W over W's VRF key; vrf-pop-by=NAME, a
// VRF proof made for NAME. pop-chain=ID makes both for chain ID; pop=bad
// and vrf-pop=bad flip a bit of one, none leaves it out; cons= and
// vrf-key= replace the consensus or the VRF key with 32 bytes that are no
// curve point, or a point of small order.

// vrfPublic is the VRF public key of the name V, whose secret is
// vrfSecret(V) (tree_scenario_test.go): SHA-256("vrf:" + V).
func vrfPublic(t testing.TB, name string) []byte {
	pub, err := vrf.PublicKey(vrfSecret(name))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// consSecret is the consensus private key of the name V.
func consSecret(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("cons:" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// notAPoint is 32 bytes that decode to no edwards25519 point (y = 2 has
// no x); smallOrder, y = 0, encodes (sqrt(-1), 0), a point of order 4.
var (
	notAPoint  = append([]byte{2}, make([]byte, 31)...)
	smallOrder = make([]byte, 32)
)

// createValidatorMsg builds validator-create's message.
func (s *scenario) createValidatorMsg(t testing.TB, c *cmd) *pb.Msg {
	from, key := c.str("from"), c.str("key")
	vrfName := c.opt("vrf", key)
	m := &pb.CreateValidator{ConsensusPublicKey: s.consKey(key), VrfPublicKey: badKey(c, "vrf-key", vrfPublic(t, vrfName)),
		SelfStake: c.uint("stake", "", 64)}
	chainID, signed := c.opt("pop-chain", s.env.ChainID), m.VrfPublicKey
	if c.has("pop-vrf") {
		signed = vrfPublic(t, c.str("pop-vrf"))
	}
	m.ConsensusPop = ed25519.Sign(consSecret(key), wire.ValidatorPoPMessage(chainID, s.addr(t, c.opt("pop-by", from)), signed))
	pi, err := vrf.Prove(vrfSecret(vrfName), wire.ValidatorVRFPoPAlpha(chainID, s.addr(t, c.opt("vrf-pop-by", from))))
	if err != nil {
		t.Fatal(err)
	}
	m.VrfPop = pi
	m.VrfPublicKey = m.VrfPublicKey[:c.uint("vrf-len", "32", 8)]
	m.ConsensusPop = spoil(c, c.opt("pop", ""), m.ConsensusPop)
	m.VrfPop = spoil(c, c.opt("vrf-pop", ""), m.VrfPop)
	m.ConsensusPublicKey = badKey(c, "cons", m.ConsensusPublicKey)
	return &pb.Msg{Kind: &pb.Msg_CreateValidator{CreateValidator: m}}
}

// badKey applies cons= or vrf-key=not-point|small-order to a key.
func badKey(c *cmd, arg string, key []byte) []byte {
	switch w := c.opt(arg, ""); w {
	case "":
		return key
	case "not-point":
		return notAPoint
	case "small-order":
		return smallOrder
	default:
		c.fail("%s takes not-point or small-order, not %q", arg, w)
	}
	return nil
}

// spoil applies pop=none|bad to a proof.
func spoil(c *cmd, how string, b []byte) []byte {
	switch how {
	case "":
		return b
	case "none":
		return nil
	case "bad":
		out := append([]byte{}, b...)
		out[len(out)-1] ^= 1
		return out
	}
	c.fail("a proof takes none or bad, not %q", how)
	return nil
}
