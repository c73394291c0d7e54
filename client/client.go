package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/provernet/provernet/wire"
)

// Client talks to one node's HTTP API. It is safe for concurrent use.
type Client struct {
	base string
	http *http.Client
	poll time.Duration
}

// New returns a client for the API at base (e.g. http://127.0.0.1:1317; a
// bare host:port means http). Options change its HTTP client and its poll
// interval; without them it uses DefaultRequestTimeout and
// DefaultPollInterval.
func New(base string, opts ...Option) *Client {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	c := &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: DefaultRequestTimeout}, poll: DefaultPollInterval}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (*wire.Status, error) {
	var s wire.Status
	return &s, c.get(ctx, "/v1/status", &s)
}

// Account returns an account's committed state; an account that never
// received anything is ErrNotFound.
func (c *Client) Account(ctx context.Context, addr string) (*wire.Account, error) {
	var a wire.Account
	return &a, c.get(ctx, "/v1/accounts/"+addr, &a)
}

// Beacon returns the beacon entry at height, or the latest if height is 0.
func (c *Client) Beacon(ctx context.Context, height int64) (*wire.Beacon, error) {
	path := "/v1/beacon"
	if height > 0 {
		path += fmt.Sprintf("/%d", height)
	}
	var b wire.Beacon
	return &b, c.get(ctx, path, &b)
}

// Block returns the block at height, or the latest if height is 0.
func (c *Client) Block(ctx context.Context, height int64) (*wire.Block, error) {
	h := "latest"
	if height > 0 {
		h = fmt.Sprint(height)
	}
	var b wire.Block
	return &b, c.get(ctx, "/v1/blocks/"+h, &b)
}

// Supply returns the supply accounting.
func (c *Client) Supply(ctx context.Context) (*wire.Supply, error) {
	var s wire.Supply
	return &s, c.get(ctx, "/v1/supply", &s)
}

// Tx returns a committed transaction's result, or ErrNotFound.
func (c *Client) Tx(ctx context.Context, hash string) (*wire.TxResult, error) {
	var r wire.TxResult
	return &r, c.get(ctx, "/v1/txs/"+hash, &r)
}

// Broadcast submits signed transaction bytes to the mempool. A transaction
// the mempool rejects returns its result and a *RejectedError.
func (c *Client) Broadcast(ctx context.Context, raw []byte) (*wire.BroadcastResult, error) {
	body, _ := json.Marshal(map[string]string{"tx": base64.StdEncoding.EncodeToString(raw)})
	var r wire.BroadcastResult
	err := c.do(ctx, http.MethodPost, "/v1/txs", bytes.NewReader(body), &r)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity {
		if jerr := json.Unmarshal(se.Body, &r); jerr == nil {
			return &r, &RejectedError{Result: r}
		}
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Program returns a deployed program by id (hex).
func (c *Client) Program(ctx context.Context, id string) (*wire.Program, error) {
	var p wire.Program
	return &p, c.get(ctx, "/v1/programs/"+id, &p)
}

// Prover returns a registered prover by address.
func (c *Client) Prover(ctx context.Context, addr string) (*wire.Prover, error) {
	var p wire.Prover
	return &p, c.get(ctx, "/v1/provers/"+addr, &p)
}

// BlobInfo is the answer to a blob upload.
type BlobInfo struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// PutBlob uploads bytes to the node's blob store and returns their hash.
func (c *Client) PutBlob(ctx context.Context, r io.Reader) (*BlobInfo, error) {
	var b BlobInfo
	return &b, c.do(ctx, http.MethodPut, "/v1/blobs", r, &b)
}

// GetBlob downloads a blob and checks it against its hash.
func (c *Client) GetBlob(ctx context.Context, sha256hex string) ([]byte, error) {
	b, err := c.getBytes(ctx, "/v1/blobs/"+sha256hex)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", sha256hex, err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != strings.ToLower(sha256hex) {
		return nil, fmt.Errorf("blob %s: the node sent bytes with another hash", sha256hex)
	}
	return b, nil
}

// maxAnswer bounds a JSON answer; maxDownload a raw one (the largest
// module a program may deploy, with room to spare).
const (
	maxAnswer   = 64 << 20
	maxDownload = 128 << 20
)

func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// do sends a request and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, out any) error {
	b, err := c.send(ctx, method, path, body, maxAnswer)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("failed to decode the node's answer to %s: %w", path, err)
	}
	return nil
}

// getBytes fetches a raw (non-JSON) answer.
func (c *Client) getBytes(ctx context.Context, path string) ([]byte, error) {
	return c.send(ctx, http.MethodGet, path, nil, maxDownload)
}

// send makes one request and returns the answer's body, at most limit
// bytes. A failure to reach the node wraps ErrUnreachable; a non-2xx
// answer is a *StatusError.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("failed to make a request for %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read the node's answer: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: the answer to %s %s is larger than %d bytes", ErrAnswerTooLarge, method, path, limit)
	}
	if err := statusErr(resp.StatusCode, b); err != nil {
		return nil, err
	}
	return b, nil
}
