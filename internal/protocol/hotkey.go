package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// Hot keys (issue 19, docs/PROVER.md "Hot keys"). A prover's staking key
// names, with SetHotKey, one other account whose transactions carry the
// prover's routine messages in its name, so that the key holding the
// stake can stay offline. Which messages are routine is routineMessage's
// list; every other message a hot key sends acts for the hot key's own
// account, so a stolen hot key can neither unbond nor withdraw the stake
// nor move the prover's balance nor set its prices. It can do the
// prover's work badly, and that is slashed as the prover's own misses are,
// up to the whole stake (a result it seals under another prover's name is
// judged copied): a hot key is as valuable as the stake it acts for, only
// it need not be where the stake is. The staking key replaces or revokes
// it; the hot key may resign; naming a key takes its consent (a signature
// over the chain, the prover and its account nonce), so nobody is named a
// hot key against its will.
//
// Invariants (checkHotKeys): hotkey/<hot> holds the prover P exactly when
// P's record names hot as its hot key; a hot key serves one prover and is
// never itself a registered prover.

var prefixHotKey = []byte("hotkey/") // hotkey/<hot address>: the prover it acts for

func hotKeyKey(hot address.Address) []byte {
	return append(append([]byte{}, prefixHotKey...), hot[:]...)
}

// routineMessage reports whether m is a prover's routine work, which its
// hot key may send in its name: the protocol-critical kinds (Critical),
// each with a window to meet. Asks are not routine: a price is the
// operator's decision, and a thief pricing the prover at 1 uprv would
// sell its work to itself.
func routineMessage(m *pb.Msg) bool {
	switch m.GetKind().(type) {
	case *pb.Msg_Accept, *pb.Msg_Decline, *pb.Msg_SubmitResult, *pb.Msg_RevealKey,
		*pb.Msg_Vote, *pb.Msg_SubmitNodeProof:
		return true
	}
	return false
}

// carriesRoutine reports whether any message of tx is routine.
func carriesRoutine(tx *txn.Tx) bool {
	for _, m := range tx.Body.GetMessages() {
		if routineMessage(m) {
			return true
		}
	}
	return false
}

// HotKeyOf returns the prover that sender is the hot key of, if any.
func HotKeyOf(r store.Reader, sender address.Address) (address.Address, bool, error) {
	b, err := r.Get(hotKeyKey(sender))
	if err != nil || b == nil {
		return address.Address{}, false, err
	}
	p, err := address.FromBytes(b)
	return p, err == nil, err
}

// actingFor is who m from sender acts for: the prover sender is the hot
// key of, for a routine message; otherwise sender.
func actingFor(kv store.Reader, sender address.Address, m *pb.Msg) (address.Address, error) {
	if !routineMessage(m) {
		return sender, nil
	}
	p, ok, err := HotKeyOf(kv, sender)
	if err != nil || !ok {
		return sender, err
	}
	return p, nil
}

// setHotKey sets, replaces or (empty) revokes the sender's hot key; sent
// by a hot key with an empty key, it resigns.
func setHotKey(kv store.KV, env Env, sender address.Address, m *pb.SetHotKey) (Result, error) {
	owner, isHot, err := HotKeyOf(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if isHot {
		if len(m.HotPublicKey) > 0 {
			return reject(wire.CodeNotAllowed, "hot key: %s is the hot key of prover %s; only the prover's own key names its hot key (the hot key may only resign, with an empty hot_public_key)", sender, owner), nil
		}
		return resignHotKey(kv, env, sender, owner)
	}
	p, err := GetProver(kv, sender)
	if isNotFound(err) {
		return reject(wire.CodeNotAllowed, "hot key: %s is not a registered prover", sender), nil
	} else if err != nil {
		return Result{}, err
	}
	var hot address.Address
	if len(m.HotPublicKey) > 0 {
		if hot, err = consentedHotKey(kv, env, sender, m); err != nil {
			return rejectionOf(err)
		}
	} else if len(m.Consent) > 0 {
		return reject(wire.CodeInvalidMessage, "hot key: a revocation (no hot_public_key) carries no consent"), nil
	}
	if err := moveHotKey(kv, p, hot); err != nil {
		return Result{}, err
	}
	return emit(env, event("hot_key", "prover", sender.String(), "hot_key", addrOrEmpty(hot))), nil
}

// resignHotKey clears hot's prover's hot key at hot's own request.
func resignHotKey(kv store.KV, env Env, hot, owner address.Address) (Result, error) {
	p, err := GetProver(kv, owner)
	if err != nil {
		return Result{}, err
	}
	if err := moveHotKey(kv, p, address.Address{}); err != nil {
		return Result{}, err
	}
	return emit(env, event("hot_key", "prover", owner.String(), "hot_key", "", "resigned", hot.String())), nil
}

// hotKeyRefusal is a SetHotKey refused for its key or consent.
type hotKeyRefusal struct{ res Result }

func (r hotKeyRefusal) Error() string { return r.res.Log }

func refuse(code wire.Code, format string, args ...any) error {
	return hotKeyRefusal{reject(code, format, args...)}
}

// rejectionOf turns a refusal into its result, anything else into an
// error that stops the block.
func rejectionOf(err error) (Result, error) {
	var r hotKeyRefusal
	if errors.As(err, &r) {
		return r.res, nil
	}
	return Result{}, err
}

// consentedHotKey checks m's key and its consent for sender: a valid
// ed25519 key whose signature covers the chain, the prover and the key's
// current account nonce, that is neither the prover, a registered prover,
// nor another prover's hot key.
func consentedHotKey(kv store.Reader, env Env, sender address.Address, m *pb.SetHotKey) (address.Address, error) {
	if len(m.HotPublicKey) != ed25519.PublicKeySize || len(m.Consent) != ed25519.SignatureSize {
		return address.Address{}, refuse(wire.CodeInvalidMessage, "hot key: hot_public_key is %d bytes and consent %d; want %d and %d", len(m.HotPublicKey), len(m.Consent), ed25519.PublicKeySize, ed25519.SignatureSize)
	}
	if err := checkConsensusPoint(m.HotPublicKey); err != nil {
		return address.Address{}, refuse(wire.CodeInvalidMessage, "hot key: hot_public_key is %v", err)
	}
	hot := address.FromPublicKey(ed25519.PublicKey(m.HotPublicKey))
	if hot == sender {
		return hot, refuse(wire.CodeInvalidMessage, "hot key: a prover's hot key must be another account than its staking key %s", sender)
	}
	acct, err := GetAccount(kv, hot)
	if err != nil {
		return hot, err
	}
	if !ed25519.Verify(m.HotPublicKey, wire.HotKeyConsentMessage(env.ChainID, sender, acct.Nonce), m.Consent) {
		return hot, refuse(wire.CodeBadPossession, "hot key: consent is not %s's signature of chain %q, prover %s and its nonce %d: the hot key's holder signs for this prover (provernet keys consent)", hot, env.ChainID, sender, acct.Nonce)
	}
	if _, err := GetProver(kv, hot); err == nil {
		return hot, refuse(wire.CodeNotAllowed, "hot key: %s is a registered prover; a hot key acts for one prover and is none itself", hot)
	} else if !isNotFound(err) {
		return hot, err
	}
	if owner, ok, err := HotKeyOf(kv, hot); err != nil {
		return hot, err
	} else if ok && owner != sender {
		return hot, refuse(wire.CodeAlreadyExists, "hot key: %s is already the hot key of prover %s", hot, owner)
	}
	return hot, nil
}

func addrOrEmpty(a address.Address) string {
	if a == (address.Address{}) {
		return ""
	}
	return a.String()
}

// moveHotKey points p at hot (the zero address: none), keeping the index
// in line.
func moveHotKey(kv store.KV, p *pb.Prover, hot address.Address) error {
	if len(p.HotKey) > 0 {
		old, err := address.FromBytes(p.HotKey)
		if err != nil {
			return err
		}
		if err := kv.Delete(hotKeyKey(old)); err != nil {
			return err
		}
	}
	p.HotKey = nil
	if hot != (address.Address{}) {
		p.HotKey = bytes.Clone(hot[:])
		if err := kv.Set(hotKeyKey(hot), bytes.Clone(p.Address)); err != nil {
			return err
		}
	}
	return setProver(kv, p)
}

// CheckHotKeys verifies the hot key index against the prover records:
// every hotkey/ entry names a prover whose record names it back, and no
// hot key is a registered prover; every prover's hot key is indexed.
func CheckHotKeys(r store.Reader) error {
	var errs []error
	indexed := 0
	err := r.Iterate(prefixHotKey, store.PrefixEnd(prefixHotKey), func(k, v []byte) bool {
		indexed++
		hot, err := address.FromBytes(k[len(prefixHotKey):])
		if err != nil {
			errs = append(errs, fmt.Errorf("hot key entry %x: %w", k, err))
			return len(errs) < 10
		}
		p, err := proverAt(r, v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("hot key %s: its prover: %w", hot, err))
		case !bytes.Equal(p.HotKey, hot[:]):
			errs = append(errs, fmt.Errorf("hot key %s: prover %x names %x", hot, v, p.HotKey))
		}
		if _, err := GetProver(r, hot); err == nil {
			errs = append(errs, fmt.Errorf("hot key %s is a registered prover", hot))
		}
		return len(errs) < 10
	})
	if err != nil {
		return err
	}
	named := 0
	err = Scan(r, prefixProver, func(p *pb.Prover) bool {
		if len(p.HotKey) > 0 {
			named++
		}
		return true
	})
	if err != nil {
		return err
	}
	if named != indexed && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("hot keys: %d provers name one, %d are indexed", named, indexed))
	}
	return errors.Join(errs...)
}
