package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// Msg is one message of a transaction: the public protobuf type of
// wire/pb, which the constructors below build.
type Msg = pb.Msg

// TransferMsg builds a Transfer of amount uprv to a bech32 address.
func TransferMsg(to string, amount uint64) (*Msg, error) {
	addr, err := address.Parse(to)
	if err != nil {
		return nil, err
	}
	return &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: addr[:], Amount: amount}}}, nil
}

// SignTx signs msgs as key with the given nonce. fee 0 means the minimum
// fee for the transaction's size under fp.
func SignTx(key *Key, chainID string, nonce, fee uint64, fp FeeParams, msgs ...*Msg) ([]byte, error) {
	if key.Locked() {
		return nil, fmt.Errorf("key %s: %w", key.Name, ErrKeyLocked)
	}
	body := &pb.TxBody{ChainId: chainID, Nonce: nonce, Fee: fee, Messages: msgs}
	if fee != 0 {
		return txn.Sign(key.Private, body)
	}
	// The fee field's own size depends on the fee: iterate to a fixed point.
	for i := 0; i < 4; i++ {
		raw, err := txn.Sign(key.Private, body)
		if err != nil {
			return nil, err
		}
		min := fp.MinFee(len(raw), msgs)
		if body.Fee >= min {
			return raw, nil
		}
		body.Fee = min
	}
	return txn.Sign(key.Private, body)
}

// TxHash is the hash CometBFT indexes a transaction by (upper-case hex).
func TxHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Send signs msgs with the sender's next nonce and the minimum fee (or fee,
// if non-zero) and broadcasts them.
func (c *Client) Send(ctx context.Context, key *Key, fee uint64, msgs ...*Msg) (*wire.BroadcastResult, error) {
	fp, err := c.FeeParams(ctx)
	if err != nil {
		return nil, err
	}
	raw, _, err := c.signNext(ctx, key, fee, fp, msgs...)
	if err != nil {
		return nil, err
	}
	return c.Broadcast(ctx, raw)
}

// signNext signs msgs with the chain's id and key's next committed nonce,
// which it returns too.
func (c *Client) signNext(ctx context.Context, key *Key, fee uint64, fp FeeParams, msgs ...*Msg) ([]byte, uint64, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, 0, err
	}
	acct, err := c.Account(ctx, key.Address())
	if err != nil {
		return nil, 0, err
	}
	raw, err := SignTx(key, st.ChainID, acct.Nonce, fee, fp, msgs...)
	return raw, acct.Nonce, err
}

// Transfer sends amount uprv from key's account to a bech32 address.
func (c *Client) Transfer(ctx context.Context, key *Key, to string, amount uint64) (*wire.BroadcastResult, error) {
	m, err := TransferMsg(to, amount)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, key, 0, m)
}

// DeployMsg builds a Deploy of a proof system; prover may be nil (a
// verifier-only deployment).
func DeployMsg(name string, prover, verifier *wire.Module, hw *wire.Hardware) (*Msg, error) {
	d := &pb.Deploy{Name: name}
	var err error
	if d.Prover, err = moduleMsg(prover); err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	if d.Verifier, err = moduleMsg(verifier); err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	if hw != nil {
		d.MinHardware = &pb.Hardware{CpuCores: hw.CPUCores, MemoryMb: hw.MemoryMB, DiskGb: hw.DiskGB}
		for _, g := range hw.GPUs {
			d.MinHardware.Gpus = append(d.MinHardware.Gpus, &pb.Gpu{Model: g.Model, MemoryMb: g.MemoryMB})
		}
	}
	return &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: d}}, nil
}

func moduleMsg(m *wire.Module) (*pb.Module, error) {
	if m == nil {
		return nil, nil
	}
	h, err := hex.DecodeString(m.SHA256)
	if err != nil || len(h) != 32 {
		return nil, fmt.Errorf("sha256 %q is not 64 hex digits", m.SHA256)
	}
	return &pb.Module{Sha256: h, Size: m.Size}, nil
}

// ProgramID is the id the chain gives a deployment of these modules
// (prover may be nil).
func ProgramID(prover, verifier *wire.Module) (string, error) {
	p, err := moduleMsg(prover)
	if err != nil {
		return "", err
	}
	v, err := moduleMsg(verifier)
	if err != nil {
		return "", fmt.Errorf("verifier: %w", err)
	}
	if v == nil {
		return "", fmt.Errorf("a verifier module is required")
	}
	return hex.EncodeToString(wire.ProgramID(p.GetSha256(), v.Sha256)), nil
}

// RegisterProverMsg declares the sender a prover with a VRF public key (hex),
// its hardware, capacity and blob endpoint.
func RegisterProverMsg(vrfPublicKey []byte, hw wire.Hardware, maxConcurrent uint32, blobEndpoint string) *Msg {
	return RegisterLabeledProverMsg(vrfPublicKey, hw, maxConcurrent, blobEndpoint, "")
}

// RegisterLabeledProverMsg is RegisterProverMsg with a label: a name for
// explorers and lists (GET /v1/provers?label=), printable ASCII, at most
// wire.MaxProverLabel bytes (wire.CheckProverLabel).
func RegisterLabeledProverMsg(vrfPublicKey []byte, hw wire.Hardware, maxConcurrent uint32, blobEndpoint, label string) *Msg {
	m := &pb.RegisterProver{VrfPublicKey: vrfPublicKey, MaxConcurrent: maxConcurrent, BlobEndpoint: blobEndpoint, Label: label,
		Hardware: &pb.Hardware{CpuCores: hw.CPUCores, MemoryMb: hw.MemoryMB, DiskGb: hw.DiskGB}}
	for _, g := range hw.GPUs {
		m.Hardware.Gpus = append(m.Hardware.Gpus, &pb.Gpu{Model: g.Model, MemoryMb: g.MemoryMB})
	}
	return &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: m}}
}

// StakeMsg bonds amount uprv to the sender's prover stake.
func StakeMsg(amount uint64) *Msg {
	return &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: amount}}}
}

// UnbondMsg starts the sender's prover leaving.
func UnbondMsg() *Msg { return &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}} }

// SetHotKeyMsg builds a SetHotKey (issue 19) naming the key hotPub, with
// its consent (HotKeyConsent): that key may then send the sender's routine
// prover messages.
func SetHotKeyMsg(hotPub ed25519.PublicKey, consent []byte) *Msg {
	return &pb.Msg{Kind: &pb.Msg_SetHotKey{SetHotKey: &pb.SetHotKey{HotPublicKey: hotPub, Consent: consent}}}
}

// RevokeHotKeyMsg builds a SetHotKey naming no key: from a prover it
// revokes its hot key; from a hot key, it resigns.
func RevokeHotKeyMsg() *Msg { return &pb.Msg{Kind: &pb.Msg_SetHotKey{SetHotKey: &pb.SetHotKey{}}} }

// HotKeyConsent is hot's consent to act for prover on chainID: its
// signature of wire.HotKeyConsentMessage at nonce, its account's next
// nonce (spent by its next transaction).
func HotKeyConsent(hot *Key, chainID, prover string, nonce uint64) ([]byte, error) {
	if hot.Locked() {
		return nil, fmt.Errorf("key %s: %w", hot.Name, ErrKeyLocked)
	}
	p, err := address.Parse(prover)
	if err != nil {
		return nil, err
	}
	return ed25519.Sign(hot.Private, wire.HotKeyConsentMessage(chainID, p, nonce)), nil
}

// NameHotKey sends, from prover's key, a SetHotKey naming hot, with hot's
// consent signed here at its account's current nonce.
func (c *Client) NameHotKey(ctx context.Context, prover, hot *Key, fee uint64) (*wire.BroadcastResult, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	acct, err := c.Account(ctx, hot.Address())
	if err != nil {
		return nil, err
	}
	consent, err := HotKeyConsent(hot, st.ChainID, prover.Address(), acct.Nonce)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, prover, fee, SetHotKeyMsg(hot.PublicKey(), consent))
}

// WithdrawMsg returns the sender's unlocked stake.
func WithdrawMsg() *Msg { return &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}} }

// CreateValidatorMsg (issue 19) makes the sender the operator of a new
// validator: its ed25519 consensus public key (32 bytes), its VRF public
// key (32 bytes), the self-stake it bonds, in uprv, and the keys' proofs
// of possession: consensusPoP, the consensus key's ed25519 signature of
// wire.ValidatorPoPMessage(chain id, sender, vrfPublicKey), and vrfPoP,
// the VRF key's RFC 9381 proof of wire.ValidatorVRFPoPAlpha(chain id,
// sender). `provernet tx validator create` makes them from a node's keys.
func CreateValidatorMsg(consensusPublicKey, vrfPublicKey []byte, selfStake uint64, consensusPoP, vrfPoP []byte) *Msg {
	return &pb.Msg{Kind: &pb.Msg_CreateValidator{CreateValidator: &pb.CreateValidator{
		ConsensusPublicKey: consensusPublicKey, VrfPublicKey: vrfPublicKey, SelfStake: selfStake,
		ConsensusPop: consensusPoP, VrfPop: vrfPoP}}}
}

// ValidatorUnbondMsg starts the sender's validator (its 20-byte consensus
// address) leaving: power 0 at once, the stake unlocks after the cooldown.
func ValidatorUnbondMsg(consensusAddress []byte) *Msg {
	return &pb.Msg{Kind: &pb.Msg_ValidatorUnbond{ValidatorUnbond: &pb.ValidatorUnbond{ConsensusAddress: consensusAddress}}}
}

// ValidatorWithdrawMsg returns an unbonded validator's unlocked stake to
// the sender, its operator.
func ValidatorWithdrawMsg(consensusAddress []byte) *Msg {
	return &pb.Msg{Kind: &pb.Msg_ValidatorWithdraw{ValidatorWithdraw: &pb.ValidatorWithdraw{ConsensusAddress: consensusAddress}}}
}
