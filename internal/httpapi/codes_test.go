package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/mempool"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// scriptedBackend answers every query with one code and value, and fails
// the calls it is told to, so that the API's failure paths past the input
// checks can be reached without a node.
type scriptedBackend struct {
	Backend
	code      uint32
	value     []byte
	queryErr  error
	statusErr error
	bcastErr  error
	searchErr error
}

func (b *scriptedBackend) ABCIQuery(context.Context, string, cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	if b.queryErr != nil {
		return nil, b.queryErr
	}
	res := &ctypes.ResultABCIQuery{}
	res.Response.Code, res.Response.Value, res.Response.Log = b.code, b.value, "scripted"
	return res, nil
}

func (b *scriptedBackend) Status(context.Context) (*ctypes.ResultStatus, error) {
	if b.statusErr != nil {
		return nil, b.statusErr
	}
	return &ctypes.ResultStatus{}, nil
}

// ABCIInfo: a chain at height 0 (nothing for a search to wait for), or
// statusErr.
func (b *scriptedBackend) ABCIInfo(context.Context) (*ctypes.ResultABCIInfo, error) {
	if b.statusErr != nil {
		return nil, b.statusErr
	}
	return &ctypes.ResultABCIInfo{}, nil
}

func (b *scriptedBackend) BroadcastTxSync(context.Context, types.Tx) (*ctypes.ResultBroadcastTx, error) {
	return nil, b.bcastErr
}

func (b *scriptedBackend) TxSearch(context.Context, string, bool, *int, *int, string) (*ctypes.ResultTxSearch, error) {
	if b.searchErr != nil {
		return nil, b.searchErr
	}
	return &ctypes.ResultTxSearch{}, nil
}

func (b *scriptedBackend) BlockSearch(context.Context, string, *int, *int, string) (*ctypes.ResultBlockSearch, error) {
	if b.searchErr != nil {
		return nil, b.searchErr
	}
	return &ctypes.ResultBlockSearch{}, nil
}

// documentedCodes are the codes docs/API.md's error table lists.
func documentedCodes(t *testing.T) []wire.APICode {
	t.Helper()
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []wire.APICode
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [0-9]{3}").FindAllStringSubmatch(string(doc), -1) {
		out = append(out, wire.APICode(m[1]))
	}
	return out
}

// TestErrorCodes walks the API's failure paths: each answers its status
// and a JSON error whose code is the expected one, from docs/API.md's
// table; and every documented code is reached by some path.
func TestErrorCodes(t *testing.T) {
	documented := documentedCodes(t)
	if !slices.Equal(documented, wire.APICodes) {
		t.Fatalf("docs/API.md lists codes %v; wire.APICodes are %v", documented, wire.APICodes)
	}
	app := newAppBackend(t)
	id := strings.Repeat("ab", 32)
	zero, _ := address.FromBytes(make([]byte, address.Size))
	addr := zero.String()
	cases := []struct {
		name         string
		b            Backend
		method, path string
		body         string
		status       int
		code         wire.APICode
	}{
		{"long URL", app, "GET", "/v1/workloads?owner=" + strings.Repeat("x", maxURL), "", 414, wire.APIURLTooLong},
		{"large body", app, "POST", "/v1/txs", `{"tx":"` + strings.Repeat("A", maxBody) + `"}`, 413, wire.APIBodyTooLarge},
		{"no route", app, "GET", "/v1/nothing", "", 404, wire.APINoRoute},
		{"bad address", app, "GET", "/v1/accounts/nope", "", 400, wire.APIBadRequest},
		{"bad body", app, "POST", "/v1/txs", "nope", 400, wire.APIBadRequest},
		{"bad limit", app, "GET", "/v1/provers?limit=0", "", 400, wire.APIBadRequest},
		{"bad cursor", app, "GET", "/v1/programs?cursor=zz", "", 400, wire.APIBadRequest},
		{"bad state", app, "GET", "/v1/provers?state=final", "", 400, wire.APIBadRequest},
		{"bad hardware", app, "GET", "/v1/provers?hardware=" + strings.Repeat("g", 65), "", 400, wire.APIBadRequest},
		{"bad program", app, "GET", "/v1/workloads?program=12", "", 400, wire.APIBadRequest},
		{"bad heights", app, "GET", "/v1/workloads?from_height=5&to_height=4", "", 400, wire.APIBadRequest},
		{"bad height", app, "GET", "/v1/workloads?to_height=-1", "", 400, wire.APIBadRequest},
		{"bad timeline id", app, "GET", "/v1/workloads/12/timeline", "", 400, wire.APIBadRequest},
		{"bad history limit", app, "GET", "/v1/provers/" + addr + "/history?limit=101", "", 400, wire.APIBadRequest},
		{"bad history cursor", app, "GET", "/v1/provers/" + addr + "/history?cursor=5", "", 400, wire.APIBadRequest},
		{"bad history address", app, "GET", "/v1/provers/nope/history", "", 400, wire.APIBadRequest},
		{"bad events filter", app, "GET", "/v1/events?workload=12", "", 400, wire.APIBadRequest},
		{"unknown workload", app, "GET", "/v1/workloads/" + id, "", 404, wire.APINotFound},
		{"unknown timeline", app, "GET", "/v1/workloads/" + id + "/timeline", "", 404, wire.APINotFound},
		{"unknown tx", app, "GET", "/v1/txs/" + id, "", 404, wire.APINotFound},
		{"received", &scriptedBackend{bcastErr: mempool.ErrTxInCache}, "POST", "/v1/txs", `{"tx":"AAAA"}`, 409, wire.APIAlreadyReceived},
		{"mempool full", &scriptedBackend{bcastErr: errors.New("mempool is full: 5000 txs")}, "POST", "/v1/txs", `{"tx":"AAAA"}`, 503, wire.APIMempoolFull},
		{"undecodable", &scriptedBackend{value: []byte{0xff}}, "GET", "/v1/supply", "", 500, wire.APIInternal},
		{"no node", &scriptedBackend{statusErr: errors.New("connection refused")}, "GET", "/v1/status", "", 503, wire.APIUnavailable},
		{"query fails", &scriptedBackend{queryErr: errors.New("connection refused")}, "GET", "/v1/params", "", 503, wire.APIUnavailable},
		{"no state", &scriptedBackend{code: chain.QueryNoState}, "GET", "/v1/supply", "", 503, wire.APINoState},
		{"busy", &scriptedBackend{code: chain.QueryBusy}, "GET", "/v1/workloads/" + id + "/allocation", "", 503, wire.APIBusy},
		{"query refused", &scriptedBackend{code: chain.QueryBadRequest}, "GET", "/v1/programs", "", 400, wire.APIBadRequest},
		{"query not found", &scriptedBackend{code: chain.QueryNotFound}, "GET", "/v1/programs/" + id, "", 404, wire.APINotFound},
		{"timeline, no index", &scriptedBackend{searchErr: errors.New("transaction indexing is disabled")}, "GET", "/v1/workloads/" + id + "/timeline", "", 501, wire.APIIndexerDisabled},
		{"history, no index", &scriptedBackend{searchErr: errors.New("block indexing is disabled")}, "GET", "/v1/provers/" + addr + "/history", "", 501, wire.APIIndexerDisabled},
		{"history, node down", &scriptedBackend{statusErr: errors.New("connection refused")}, "GET", "/v1/provers/" + addr + "/history", "", 503, wire.APIUnavailable},
		{"history, search fails", &scriptedBackend{searchErr: errors.New("connection refused")}, "GET", "/v1/provers/" + addr + "/history", "", 503, wire.APIUnavailable},
	}
	seen := map[wire.APICode]bool{wire.APIRejected: true} // a BroadcastResult, checked in TestAPIErrors
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "http://api"+c.path, strings.NewReader(c.body))
		rec := httptest.NewRecorder()
		Handler(c.b).ServeHTTP(rec, req)
		var body wire.APIError
		err := json.Unmarshal(rec.Body.Bytes(), &body)
		switch {
		case rec.Code != c.status || err != nil:
			t.Errorf("%s: %d %v %.200s, want %d", c.name, rec.Code, err, rec.Body.Bytes(), c.status)
		case body.Code != c.code || body.Message == "":
			t.Errorf("%s: code %q message %q, want %q", c.name, body.Code, body.Message, c.code)
		case !slices.Contains(documented, body.Code):
			t.Errorf("%s: code %q is not documented", c.name, body.Code)
		}
		seen[body.Code] = true
	}
	t.Run("too many streams", func(t *testing.T) {
		b := &blockBackend{reads: map[int64]int{}}
		b.height.Store(1)
		srv := httptest.NewServer(HandlerWith(b, Options{MaxEventStreams: 1}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events?from=1", nil)
		held, err := http.DefaultClient.Do(req) // the one stream allowed
		if err != nil {
			t.Fatal(err)
		}
		defer held.Body.Close()
		resp, err := http.Get(srv.URL + "/v1/events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body wire.APIError
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 503 || body.Code != wire.APITooManyStreams {
			t.Errorf("events past the limit: %d %v %+v", resp.StatusCode, err, body)
		}
		seen[body.Code] = true
	})
	for _, c := range documented {
		if !seen[c] {
			t.Errorf("no failure path answered code %q", c)
		}
	}
}
