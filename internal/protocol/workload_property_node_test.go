package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

const propChainID = "prop"

// propTx is one transaction of the operation log: the signed bytes, and
// for the log file who sent what.
type propTx struct {
	from  string
	nonce uint64
	msg   *pb.Msg
	raw   []byte
}

// propNode is one replica: a tree, the block being executed, and the
// history of everything it computed. It executes blocks as internal/chain
// does (a beacon, BeginBlock, the transactions, RecordFill, one flush of
// the block's cache in key order, Commit), with its propOptions.
type propNode struct {
	opts     propOptions
	tree     *iavltree.Tree
	env      protocol.Env
	block    *store.Cache       // the block's writes
	fill     uint64             // the block's protocol-critical bytes (protocol/fill.go)
	check    *store.Cache       // warm: the mempool's view of the last committed state
	checkEnv protocol.Env       // warm: env as CheckTx sees it
	decoded  map[string]*txn.Tx // warm: decoded transactions, shared by CheckTx and delivery
	shuffle  *rand.Rand         // the order of shuffled flushes
	blocks   [][]propTx         // what it delivered, block by block: the operation log
	history  []string           // results, events and hashes, one per line
}

func newPropNode(t *testing.T, opts propOptions, g *protocol.Genesis, seed uint64) *propNode {
	n := &propNode{opts: opts, tree: iavltree.OpenMemory(), shuffle: rand.New(rand.NewPCG(seed, 11)),
		env: protocol.Env{ChainID: propChainID, Height: 1, Params: g.Params}}
	if err := protocol.InitGenesis(n.tree.Working(), propChainID, g); err != nil {
		t.Fatal(err)
	}
	if opts.warm {
		n.decoded = map[string]*txn.Tx{}
	}
	n.beginBlock(t)
	return n
}

// view is the state as the block's next transaction sees it.
func (n *propNode) view() store.KV { return n.block }

// beginBlock starts block env.Height: the mempool's view of the state
// before it, a beacon entry (a deterministic stand-in for the VRF entry,
// which needs a validator key) and BeginBlock.
func (n *propNode) beginBlock(t *testing.T) {
	if n.opts.warm {
		n.check = store.NewCache(n.tree.Working())
		n.checkEnv = protocol.Env{ChainID: propChainID, Height: n.env.Height, Params: n.env.Params, Decode: n.decode}
	}
	n.block, n.fill = store.NewCache(n.tree.Working()), 0
	n.blocks = append(n.blocks, nil)
	kv, flush := n.buffer()
	prev, err := protocol.Seed(kv)
	if err != nil {
		t.Fatal(err)
	}
	next := sha256.Sum256(append(prev, byte(n.env.Height), byte(n.env.Height>>8)))
	ev, err := protocol.ApplyBeacon(kv, &pb.BeaconEntry{Height: n.env.Height, PrevSeed: prev, Seed: next[:]})
	if err != nil {
		t.Fatal(err)
	}
	n.env.Block = nil
	block, evs, err := protocol.BeginBlock(kv, n.env)
	if err != nil {
		t.Fatal(err)
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	n.env.Block = block
	n.record("block %d begins: %s", n.env.Height, formatEvents(append([]protocol.Event{ev}, evs...)))
}

// buffer is where the next unit of the block's work (a transaction, the
// beacon and BeginBlock, RecordFill) writes, and how its writes reach the
// block's cache: directly, or through a buffer of its own (txCache),
// flushed in key order or shuffled.
func (n *propNode) buffer() (store.KV, func() error) {
	switch {
	case n.opts.shuffle:
		b := newShuffledBuffer(n.block, n.shuffle)
		return b, b.flush
	case n.opts.txCache:
		c := store.NewCache(n.block)
		return c, func() error { return c.Write(n.block) }
	}
	return n.block, func() error { return nil }
}

// decode is the warm replicas' Env.Decode: each transaction decoded once,
// the same *txn.Tx handed to CheckTx and to delivery.
func (n *propNode) decode(raw []byte) (*txn.Tx, error) {
	if tx, ok := n.decoded[string(raw)]; ok {
		return tx, nil
	}
	tx, err := txn.Decode(raw)
	if err == nil {
		n.decoded[string(raw)] = tx
	}
	return tx, err
}

// deliver executes one transaction of the current block.
func (n *propNode) deliver(t *testing.T, tx propTx) protocol.Result {
	n.blocks[len(n.blocks)-1] = append(n.blocks[len(n.blocks)-1], tx)
	env := n.env
	if n.opts.warm {
		if _, err := protocol.CheckTx(n.check, n.checkEnv, tx.raw); err != nil {
			t.Fatalf("height %d: CheckTx: %v", n.env.Height, err)
		}
		env.Decode = n.decode
	}
	kv, flush := n.buffer()
	res, err := protocol.DeliverTx(kv, env, tx.raw)
	if err != nil {
		t.Fatalf("height %d: DeliverTx: %v", n.env.Height, err)
	}
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	if res.Admitted && res.Critical {
		n.fill += uint64(len(tx.raw))
	}
	n.record("tx %s/%d: %s %q admitted=%v critical=%v %s", tx.from, tx.nonce, res.Code, res.Log, res.Admitted, res.Critical, formatEvents(res.Events))
	return res
}

// endBlock records the block's fill, flushes its writes to the tree in
// key order and commits.
func (n *propNode) endBlock(t *testing.T) {
	kv, flush := n.buffer()
	fill := protocol.EmptyFill(n.env.Params)
	fill.Bytes = n.fill
	evs, err := protocol.EndBlock(kv, n.env, fill)
	if err != nil {
		t.Fatal(err)
	}
	n.record("block %d end: %s", n.env.Height, formatEvents(evs))
	if err := flush(); err != nil {
		t.Fatal(err)
	}
	if err := n.block.Write(n.tree.Working()); err != nil {
		t.Fatal(err)
	}
	hash, _, err := n.tree.Commit()
	if err != nil {
		t.Fatal(err)
	}
	n.record("block %d ends: app hash %x", n.env.Height, hash)
	n.env.Height++
}

// replay executes another replica's blocks.
func (n *propNode) replay(t *testing.T, blocks [][]propTx) {
	for i, txs := range blocks {
		for _, tx := range txs {
			n.deliver(t, tx)
		}
		if i < len(blocks)-1 { // the last block is begun, not ended
			n.endBlock(t)
			n.beginBlock(t)
		}
	}
}

func (n *propNode) record(format string, a ...any) {
	n.history = append(n.history, fmt.Sprintf(format, a...))
}

func formatEvents(evs []protocol.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString("[" + e.Type)
		for _, at := range e.Attrs {
			fmt.Fprintf(&b, " %s=%s", at.Key, at.Value)
			if at.Index {
				b.WriteString("*")
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

// shuffledBuffer is a transaction's write buffer that flushes in a random
// order. Its reads are a plain merge of the buffer over the parent,
// independent of store.Cache's.
type shuffledBuffer struct {
	parent store.KV
	rng    *rand.Rand
	writes map[string][]byte // nil: deleted
}

var _ store.KV = (*shuffledBuffer)(nil)

func newShuffledBuffer(parent store.KV, rng *rand.Rand) *shuffledBuffer {
	return &shuffledBuffer{parent: parent, rng: rng, writes: map[string][]byte{}}
}

func (b *shuffledBuffer) Get(key []byte) ([]byte, error) {
	if v, ok := b.writes[string(key)]; ok {
		return v, nil
	}
	return b.parent.Get(key)
}

func (b *shuffledBuffer) Set(key, value []byte) error {
	b.writes[string(key)] = bytes.Clone(value)
	return nil
}

func (b *shuffledBuffer) Delete(key []byte) error {
	b.writes[string(key)] = nil
	return nil
}

func (b *shuffledBuffer) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	merged := map[string][]byte{}
	if err := b.parent.Iterate(start, end, func(k, v []byte) bool {
		merged[string(k)] = bytes.Clone(v)
		return true
	}); err != nil {
		return err
	}
	for k, v := range b.writes {
		if k >= string(start) && (end == nil || k < string(end)) {
			merged[k] = v
		}
	}
	keys := make([]string, 0, len(merged))
	for k, v := range merged {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), merged[k]) {
			break
		}
	}
	return nil
}

// flush writes the buffer to the parent in a random order.
func (b *shuffledBuffer) flush() error {
	keys := make([]string, 0, len(b.writes))
	for k := range b.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys) // then shuffled by the seed alone, not by map order
	b.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for _, k := range keys {
		var err error
		if v := b.writes[k]; v == nil {
			err = b.parent.Delete([]byte(k))
		} else {
			err = b.parent.Set([]byte(k), v)
		}
		if err != nil {
			return err
		}
	}
	clear(b.writes)
	return nil
}

// writePropFailure writes a failed seed's operation log and each
// replica's history to a directory that outlives the test, and prints
// where they are and how to replay the seed.
func writePropFailure(t *testing.T, seed uint64, w *propWorld, replicas []*propNode) {
	dir, err := os.MkdirTemp("", fmt.Sprintf("provernet-property-%d-", seed))
	if err != nil {
		t.Logf("cannot write the operation log: %v", err)
		return
	}
	files := []string{filepath.Join(dir, "ops.txt")}
	if err := os.WriteFile(files[0], []byte(formatOpLog(seed, w.node.blocks)), 0o644); err != nil {
		t.Logf("cannot write the operation log: %v", err)
	}
	for i, r := range replicas {
		name := filepath.Join(dir, fmt.Sprintf("history-%d-%s.txt", i, r.opts))
		if err := os.WriteFile(name, []byte(strings.Join(r.history, "\n")+"\n"), 0o644); err != nil {
			t.Logf("cannot write %s: %v", name, err)
		}
		files = append(files, name)
	}
	t.Logf("seed %d failed; operation log and histories:\n  %s\nreplay: go test ./internal/protocol -run TestWorkloadProperty -seed %d -v",
		seed, strings.Join(files, "\n  "), seed)
}

// formatOpLog writes the operation log: every transaction of every block,
// in order, its message as text (bytes in hex; longer than 32 bytes, as
// their size and hash).
func formatOpLog(seed uint64, blocks [][]propTx) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# TestWorkloadProperty seed %d: every transaction, block by block (block 1 is the setup).\n", seed)
	fmt.Fprintf(&b, "# replay: go test ./internal/protocol -run TestWorkloadProperty -seed %d -v\n", seed)
	for i, txs := range blocks {
		fmt.Fprintf(&b, "block %d\n", i+1)
		for _, tx := range txs {
			fmt.Fprintf(&b, "  %s nonce=%d %s\n", tx.from, tx.nonce, strings.TrimSuffix(strings.TrimPrefix(formatProto(tx.msg.ProtoReflect()), "{"), "}"))
		}
	}
	return b.String()
}

// formatProto writes a message's set fields in field order.
func formatProto(m protoreflect.Message) string {
	var parts []string
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		if !fd.IsList() {
			parts = append(parts, string(fd.Name())+"="+formatValue(fd, v))
			continue
		}
		var elems []string
		for j := range v.List().Len() {
			elems = append(elems, formatValue(fd, v.List().Get(j)))
		}
		parts = append(parts, string(fd.Name())+"=["+strings.Join(elems, " ")+"]")
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func formatValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.BytesKind:
		if b := v.Bytes(); len(b) > 32 {
			h := sha256.Sum256(b)
			return fmt.Sprintf("<%d bytes, sha256 %x>", len(b), h[:8])
		}
		return hex.EncodeToString(v.Bytes())
	case protoreflect.MessageKind:
		return formatProto(v.Message())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	case protoreflect.StringKind:
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprint(v.Interface())
}
