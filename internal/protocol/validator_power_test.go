package protocol_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// TestPowerCapNeverAThird (staking review): operators with money enough
// send CreateValidators of random stakes, several per block, to a chain of
// four genesis validators of power 10 that no stake backs. After every
// block's validator updates, no validator holds a third of the set's power
// or more, and the power the updates of the last downtime_window heights
// added is below a third of the total: power nobody runs cannot halt the
// chain before downtime jails it. Removing the cap fails it (the first
// block of large stakes takes a third).
func TestPowerCapNeverAThird(t *testing.T) {
	const chainID, window = "cap-test", 10
	rng := rand.New(rand.NewPCG(19, 3))
	tree := iavltree.OpenMemory()
	kv := tree.Working()
	params := protocol.DefaultParams()
	params.FeePerByte, params.FeePerMsg, params.FeePerWeight = 0, 0, 0
	vp := protocol.ValidatorParams{MaxValidators: 1000, MinValidatorStake: 100, PowerReduction: 100,
		ValidatorUnbondCooldown: 10, DowntimeWindow: window, DowntimeMaxMissedBP: 5000}
	params.ValidatorParams = &vp
	opSeed := sha256.Sum256([]byte("operator"))
	op := ed25519.NewKeyFromSeed(opSeed[:])
	opAddr := address.FromPublicKey(op.Public().(ed25519.PublicKey))
	g := protocol.Genesis{Params: params, BeaconSeed: make([]byte, 32),
		Accounts: []protocol.GenesisAccount{{Address: opAddr, Balance: 1 << 50}}}
	set := map[string]int64{}
	var powers []protocol.GenesisPower
	for i := range 4 {
		pub, _ := consKeyPair(fmt.Sprintf("genesis-%d", i))
		g.Validators = append(g.Validators, protocol.GenesisValidator{Address: protocol.ConsensusAddress(pub), VRFPublicKey: vrfPublic(t, fmt.Sprintf("genesis-%d", i))})
		powers = append(powers, protocol.GenesisPower{PubKey: pub, Power: 10})
		set[string(pub)] = 10
	}
	if err := protocol.InitGenesis(kv, chainID, &g); err != nil {
		t.Fatal(err)
	}
	if err := protocol.RecordGenesisValidators(kv, &g, powers); err != nil {
		t.Fatal(err)
	}
	added := map[int64]int64{} // height -> power its updates added
	var nonce uint64
	accepted, refused := 0, 0
	for h := int64(1); h <= 300; h++ {
		env := protocol.Env{ChainID: chainID, Height: h, Params: params}
		block, _, err := protocol.BeginBlock(kv, env)
		if err != nil {
			t.Fatal(err)
		}
		env.Block = block
		for range rng.IntN(4) {
			name := fmt.Sprintf("v%d-%d", h, nonce)
			stake := uint64(100 * (1 + rng.IntN(60)))
			res, err := protocol.DeliverTx(kv, env, signCreate(t, op, chainID, nonce, name, stake))
			if err != nil {
				t.Fatal(err)
			}
			nonce++
			switch res.Code {
			case wire.CodeOK:
				accepted++
			case wire.CodePowerCap:
				refused++
			default:
				t.Fatalf("height %d: %s: %s", h, res.Code, res.Log)
			}
		}
		for _, u := range block.ValidatorUpdates() {
			added[h] += u.Power - set[string(u.PubKey)]
			set[string(u.PubKey)] = u.Power
		}
		var total, recent int64
		for _, p := range set {
			total += p
		}
		for x := h - window + 1; x <= h; x++ {
			recent += added[x]
		}
		for pub, p := range set {
			if 3*p >= total {
				t.Fatalf("height %d: validator %X holds %d of %d power, a third or more", h, protocol.ConsensusAddress([]byte(pub)), p, total)
			}
		}
		if 3*recent >= total {
			t.Fatalf("height %d: the last %d heights added %d of %d power, a third or more", h, window, recent, total)
		}
	}
	if accepted < 20 || refused < 20 {
		t.Fatalf("accepted %d, refused %d: the story does not test the cap", accepted, refused)
	}
	t.Logf("%d CreateValidators accepted, %d refused by the cap; %d validators", accepted, refused, len(set))
}

// consKeyPair is the consensus key pair of a name.
func consKeyPair(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := consSecret(name)
	return priv.Public().(ed25519.PublicKey), priv
}

// signCreate signs a CreateValidator for the key name with both proofs.
func signCreate(t *testing.T, op ed25519.PrivateKey, chainID string, nonce uint64, name string, stake uint64) []byte {
	pub, priv := consKeyPair(name)
	opAddr := address.FromPublicKey(op.Public().(ed25519.PublicKey))
	vpub := vrfPublic(t, name)
	pi, err := vrf.Prove(vrfSecret(name), wire.ValidatorVRFPoPAlpha(chainID, opAddr))
	if err != nil {
		t.Fatal(err)
	}
	m := &pb.CreateValidator{ConsensusPublicKey: pub, VrfPublicKey: vpub, SelfStake: stake, VrfPop: pi,
		ConsensusPop: ed25519.Sign(priv, wire.ValidatorPoPMessage(chainID, opAddr, vpub))}
	raw, err := txn.Sign(op, &pb.TxBody{ChainId: chainID, Nonce: nonce, Messages: []*pb.Msg{{Kind: &pb.Msg_CreateValidator{CreateValidator: m}}}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
