package protocol

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Hot keys (issue 19, docs/PROVER.md "Hot keys"). A prover's staking key
// names, with SetHotKey, one other account whose transactions carry the
// prover's routine messages in its name, so that the key holding the
// stake can stay offline. Which messages are routine is routineMessage's
// list; every other message a hot key sends acts for the hot key's own
// account, so a stolen hot key can neither unbond nor withdraw the stake
// nor move the prover's balance: it can only do the prover's work badly
// (and be slashed for that, as the prover would), until the staking key
// replaces or revokes it.
//
// Invariants (checkHotKeys): hotkey/<hot> holds the prover P exactly when
// P's record names hot as its hot key; a hot key serves one prover and is
// never itself a registered prover.

var prefixHotKey = []byte("hotkey/") // hotkey/<hot address>: the prover it acts for

func hotKeyKey(hot address.Address) []byte {
	return append(append([]byte{}, prefixHotKey...), hot[:]...)
}

// routineMessage reports whether m is a prover's routine work, which its
// hot key may send in its name.
func routineMessage(m *pb.Msg) bool {
	switch m.GetKind().(type) {
	case *pb.Msg_Accept, *pb.Msg_Decline, *pb.Msg_SubmitResult, *pb.Msg_RevealKey,
		*pb.Msg_Vote, *pb.Msg_SetAsk, *pb.Msg_SubmitNodeProof:
		return true
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

// setHotKey sets, replaces or (empty) revokes the sender's hot key.
func setHotKey(kv store.KV, env Env, sender address.Address, m *pb.SetHotKey) (Result, error) {
	p, err := GetProver(kv, sender)
	if isNotFound(err) {
		if owner, ok, err := HotKeyOf(kv, sender); err != nil {
			return Result{}, err
		} else if ok {
			return reject(wire.CodeNotAllowed, "hot key: %s is the hot key of prover %s; only the prover's own key sets its hot key", sender, owner), nil
		}
		return reject(wire.CodeNotAllowed, "hot key: %s is not a registered prover", sender), nil
	} else if err != nil {
		return Result{}, err
	}
	var hot address.Address
	if len(m.HotKey) > 0 {
		if hot, err = address.FromBytes(m.HotKey); err != nil {
			return reject(wire.CodeInvalidMessage, "hot key: %v", err), nil
		}
		if res := checkHotKey(kv, sender, hot); !res.OK() {
			return res, nil
		}
	}
	if err := moveHotKey(kv, p, m.HotKey); err != nil {
		return Result{}, err
	}
	if len(m.HotKey) == 0 {
		return emit(env, event("hot_key", "prover", sender.String(), "hot_key", "")), nil
	}
	return emit(env, event("hot_key", "prover", sender.String(), "hot_key", hot.String())), nil
}

// checkHotKey refuses a hot key that is the prover itself, a registered
// prover, or another prover's hot key.
func checkHotKey(kv store.Reader, sender, hot address.Address) Result {
	if hot == sender {
		return reject(wire.CodeInvalidMessage, "hot key: a prover's hot key must be another account than its staking key %s", sender)
	}
	if _, err := GetProver(kv, hot); err == nil {
		return reject(wire.CodeNotAllowed, "hot key: %s is a registered prover; a hot key acts for one prover and is none itself", hot)
	}
	if owner, ok, _ := HotKeyOf(kv, hot); ok && owner != sender {
		return reject(wire.CodeAlreadyExists, "hot key: %s is already the hot key of prover %s", hot, owner)
	}
	return Result{}
}

// moveHotKey points p at hot (nil: none), keeping the index in line.
func moveHotKey(kv store.KV, p *pb.Prover, hot []byte) error {
	if len(p.HotKey) > 0 {
		old, err := address.FromBytes(p.HotKey)
		if err != nil {
			return err
		}
		if err := kv.Delete(hotKeyKey(old)); err != nil {
			return err
		}
	}
	p.HotKey = bytes.Clone(hot)
	if len(hot) > 0 {
		a, _ := address.FromBytes(hot) // checked by the caller
		if err := kv.Set(hotKeyKey(a), bytes.Clone(p.Address)); err != nil {
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
