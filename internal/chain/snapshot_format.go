package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store/iavltree"
)

// State sync snapshots (docs/CHAIN.md, "Snapshots"). A snapshot of height
// h is the IAVL tree of version h exported node by node (depth-first
// post-order, the order IAVL's importer takes) and cut into chunks of
// about snapshotChunkBytes. Each node is encoded as
//
//	height  1 byte (the subtree height; 0 for a leaf)
//	version uvarint (the version that wrote the node)
//	key     uvarint length, bytes
//	value   uvarint length, bytes (leaves only)
//
// The snapshot's metadata is the tree's root hash followed by the SHA-256
// of each chunk, 32 bytes each; its hash is the SHA-256 of the metadata.
// So a chunk that does not match its hash is refused before it is
// imported, and a snapshot whose claimed root is not the trusted app hash
// is refused before any chunk is fetched. The export of a version is the
// same on every node, so peers offer byte-identical snapshots.

// snapshotFormat is the only format this app writes and restores.
const snapshotFormat uint32 = 1

// snapshotChunkBytes is the size a chunk is cut at (a chunk ends with the
// first node that takes it past this size).
const snapshotChunkBytes = 4 << 20

// maxSnapshotChunks bounds the chunks an offered snapshot may have.
const maxSnapshotChunks = 1 << 20

// snapshotMeta is a snapshot's decoded metadata.
type snapshotMeta struct {
	root   []byte
	chunks [][]byte // each chunk's SHA-256
}

func (m snapshotMeta) encode() []byte {
	b := make([]byte, 0, sha256.Size*(1+len(m.chunks)))
	b = append(b, m.root...)
	for _, h := range m.chunks {
		b = append(b, h...)
	}
	return b
}

func decodeSnapshotMeta(b []byte) (snapshotMeta, error) {
	if len(b) < 2*sha256.Size || len(b)%sha256.Size != 0 {
		return snapshotMeta{}, fmt.Errorf("snapshot metadata of %d bytes", len(b))
	}
	m := snapshotMeta{root: b[:sha256.Size]}
	for i := sha256.Size; i < len(b); i += sha256.Size {
		m.chunks = append(m.chunks, b[i:i+sha256.Size])
	}
	return m, nil
}

func snapshotHash(meta []byte) []byte {
	h := sha256.Sum256(meta)
	return h[:]
}

// chunker cuts exported nodes into chunks.
type chunker struct {
	size   int
	cur    []byte
	chunks [][]byte
}

func (c *chunker) add(n *iavltree.Node) error {
	c.cur = appendNode(c.cur, n)
	if len(c.cur) >= c.size {
		c.flush()
	}
	return nil
}

func (c *chunker) flush() {
	if len(c.cur) > 0 {
		c.chunks = append(c.chunks, c.cur)
		c.cur = nil
	}
}

func appendNode(b []byte, n *iavltree.Node) []byte {
	b = append(b, byte(n.Height))
	b = binary.AppendUvarint(b, uint64(n.Version))
	b = binary.AppendUvarint(b, uint64(len(n.Key)))
	b = append(b, n.Key...)
	if n.Height == 0 {
		b = binary.AppendUvarint(b, uint64(len(n.Value)))
		b = append(b, n.Value...)
	}
	return b
}

var errTruncated = errors.New("truncated node")

// decodeChunk calls fn with each node of a chunk, in order.
func decodeChunk(b []byte, fn func(*iavltree.Node) error) error {
	for len(b) > 0 {
		n, rest, err := decodeNode(b)
		if err != nil {
			return err
		}
		if err := fn(n); err != nil {
			return err
		}
		b = rest
	}
	return nil
}

func decodeNode(b []byte) (*iavltree.Node, []byte, error) {
	n := &iavltree.Node{Height: int8(b[0])}
	r := bytes.NewReader(b[1:])
	v, err := binary.ReadUvarint(r)
	if err != nil || v == 0 || v > 1<<62 {
		return nil, nil, fmt.Errorf("node version: %w", errTruncated)
	}
	n.Version = int64(v)
	if n.Key, err = readBytes(r); err != nil {
		return nil, nil, err
	}
	if n.Height == 0 {
		if n.Value, err = readBytes(r); err != nil {
			return nil, nil, err
		}
	}
	return n, b[len(b)-r.Len():], nil
}

func readBytes(r *bytes.Reader) ([]byte, error) {
	l, err := binary.ReadUvarint(r)
	if err != nil || l > uint64(r.Len()) {
		return nil, errTruncated
	}
	out := make([]byte, l) // non-nil even when empty: a leaf's value
	_, _ = r.Read(out)
	return out, nil
}
