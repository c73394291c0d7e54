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

// ErrNotFound is returned when the node has no such account, tx or block.
var ErrNotFound = errors.New("not found")

// Client talks to one node's HTTP API.
type Client struct {
	base string
	http *http.Client
}

// New returns a client for the API at base (e.g. http://127.0.0.1:1317).
func New(base string) *Client {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (*wire.Status, error) {
	var s wire.Status
	return &s, c.get(ctx, "/v1/status", &s)
}

// Account returns an account's committed state.
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

// Params returns the chain parameters as raw JSON.
func (c *Client) Params(ctx context.Context) (json.RawMessage, error) {
	var p json.RawMessage
	return p, c.get(ctx, "/v1/params", &p)
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
	var apiErr *statusError
	if errors.As(err, &apiErr) && apiErr.status == http.StatusUnprocessableEntity {
		if jerr := json.Unmarshal(apiErr.body, &r); jerr == nil {
			return &r, &RejectedError{Result: r}
		}
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// WaitTx polls until the transaction is committed or ctx ends.
func (c *Client) WaitTx(ctx context.Context, hash string) (*wire.TxResult, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.Tx(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("transaction %s not committed: %w", hash, ctx.Err())
		case <-tick.C:
		}
	}
}

// RejectedError is a transaction the chain refused, with its stable code.
type RejectedError struct{ Result wire.BroadcastResult }

func (e *RejectedError) Error() string {
	return fmt.Sprintf("transaction rejected (code %d %s): %s", e.Result.Code, e.Result.CodeName, e.Result.Log)
}

type statusError struct {
	status int
	body   []byte
	api    wire.APIError
}

func (e *statusError) Error() string {
	if e.api.Message != "" {
		return e.api.Message
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, bytes.TrimSpace(e.body))
}

// Hint returns the API's hint for an error, if it gave one.
func Hint(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.api.Hint
	}
	return ""
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("failed to reach the node at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("failed to read the node's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{status: resp.StatusCode, body: b}
		_ = json.Unmarshal(b, &se.api)
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %w", ErrNotFound, se)
		}
		return se
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("failed to decode the node's answer: %w", err)
	}
	return nil
}

// Program returns a deployed program by id (hex).
func (c *Client) Program(ctx context.Context, id string) (*wire.Program, error) {
	var p wire.Program
	return &p, c.get(ctx, "/v1/programs/"+id, &p)
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

// Prover returns a registered prover by address.
func (c *Client) Prover(ctx context.Context, addr string) (*wire.Prover, error) {
	var p wire.Prover
	return &p, c.get(ctx, "/v1/provers/"+addr, &p)
}
