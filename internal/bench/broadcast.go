package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// broadcaster posts broadcast_tx_sync JSON-RPC calls to CometBFT's RPC.
// It is deliberately lean (one small JSON document each way) so that the
// load generator, which shares the machine's cores with the node under
// test, takes as little CPU as possible from it; both applications are
// driven by the same code.
type broadcaster struct {
	url  string
	http *http.Client
}

func newBroadcaster(rpcURL string, conns int) *broadcaster {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}
	return &broadcaster{url: rpcURL, http: &http.Client{Transport: tr}}
}

type rpcReply struct {
	Result *struct {
		Code uint32 `json:"code"`
	} `json:"result"`
	Error *struct {
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

// broadcastSync sends one transaction and reports whether CheckTx took it.
// CometBFT v1 reports a CheckTx rejection as an RPC error whose data says
// "is invalid"; that counts as rejected, any other error is returned.
func (b *broadcaster) broadcastSync(ctx context.Context, tx []byte) (bool, error) {
	body := make([]byte, 0, 96+base64.StdEncoding.EncodedLen(len(tx)))
	body = append(body, `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"`...)
	body = base64.StdEncoding.AppendEncode(body, tx)
	body = append(body, `"}}`...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	var r rpcReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return false, fmt.Errorf("bad RPC answer %q: %w", raw, err)
	}
	switch {
	case r.Error != nil && strings.Contains(r.Error.Data, "is invalid"):
		return false, nil
	case r.Error != nil:
		return false, fmt.Errorf("broadcast_tx_sync: %s %s", r.Error.Message, r.Error.Data)
	case r.Result == nil:
		return false, fmt.Errorf("broadcast_tx_sync: empty answer %q", raw)
	}
	return r.Result.Code == 0, nil
}
