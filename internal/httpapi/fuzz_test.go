package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire/address"
)

// The fuzz targets below send every route of the API arbitrary input,
// through the real handlers and a real chain.App (appBackend). Their seed
// corpora run under plain `go test`; `go test -fuzz FuzzX` explores. Each
// checks that the handler does not panic, answers a status it documents
// (never 500), and that a JSON answer parses and an error carries a
// message.

const hex64 = "0000000000000000000000000000000000000000000000000000000000000000"

var validAddr = address.Address{1, 2, 3}.String()

// allowed are the statuses the API documents.
var allowed = map[int]bool{200: true, 201: true, 301: true, 307: true, 308: true, 400: true, 404: true,
	409: true, 413: true, 414: true, 422: true, 503: true}

// serve sends one request to h and checks the answer's shape. It returns
// nil, sending nothing, for a target that is not a request URI: Go's HTTP
// server refuses those before the API sees them, so they are outside what
// the fuzz targets explore.
func serve(t *testing.T, h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	req := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
	req.Method, req.URL, req.RequestURI = method, u, target
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !allowed[rec.Code] {
		t.Fatalf("%s %s: status %d: %s", method, target, rec.Code, rec.Body)
	}
	if rec.Code/100 == 3 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		return rec
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %v", method, target, rec.Code, err)
	}
	if rec.Code >= 400 && rec.Code != http.StatusUnprocessableEntity {
		if m, _ := v.(map[string]any); m == nil || m["error"] == "" || m["error"] == nil {
			t.Fatalf("%s %s: status %d without an error message: %s", method, target, rec.Code, rec.Body)
		}
	}
	return rec
}

func fuzzHandler(f *testing.F) http.Handler { return Handler(newAppBackend(f)) }

// FuzzAccount: GET /v1/accounts/{address}.
func FuzzAccount(f *testing.F) {
	for _, s := range []string{validAddr, "prv1", "", "not-an-address", strings.Repeat("q", 200), "prv1\x00\xff"} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, addr string) {
		serve(t, h, "GET", "/v1/accounts/"+url.PathEscape(addr), nil)
	})
}

// FuzzBroadcast: POST /v1/txs with any body.
func FuzzBroadcast(f *testing.F) {
	for _, s := range []string{`{"tx": "AAAA"}`, `{"tx": "%%%"}`, `not json`, `{}`, `{"tx": ""}`, `[]`,
		`{"tx": "` + base64.StdEncoding.EncodeToString([]byte("\x0a\x02\x08\x01\x12\x40")) + `"}`} {
		f.Add([]byte(s))
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serve(t, h, "POST", "/v1/txs", body)
	})
}

// FuzzTxHash: GET /v1/txs/{hash}.
func FuzzTxHash(f *testing.F) {
	for _, s := range []string{hex64, "1234", "", strings.Repeat("AB", 32), "zz"} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, hash string) {
		serve(t, h, "GET", "/v1/txs/"+url.PathEscape(hash), nil)
	})
}

// FuzzHeight: GET /v1/beacon/{height} and /v1/blocks/{height}.
func FuzzHeight(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "latest", "99999999", "9223372036854775807", "18446744073709551616", "1e3"} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, height string) {
		serve(t, h, "GET", "/v1/beacon/"+url.PathEscape(height), nil)
		serve(t, h, "GET", "/v1/blocks/"+url.PathEscape(height), nil)
	})
}

// FuzzRecordID: the routes that take one id or address in the path.
func FuzzRecordID(f *testing.F) {
	for _, s := range []string{hex64, validAddr, "", "xyz", hex64[:63], hex64 + "00", strings.Repeat("f", 64)} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, id string) {
		p := url.PathEscape(id)
		for _, path := range []string{"/v1/programs/" + p, "/v1/provers/" + p, "/v1/workloads/" + p,
			"/v1/workloads/" + p + "/allocation", "/v1/workloads/" + p + "/pending",
			"/v1/workloads/" + p + "/timeline", "/v1/provers/" + p + "/history"} {
			serve(t, h, "GET", path, nil)
		}
	})
}

// FuzzSealed: GET /v1/workloads/{id}/slots/{slot}/sealed.
func FuzzSealed(f *testing.F) {
	f.Add(hex64, "0")
	f.Add(hex64, "4294967296")
	f.Add("xyz", "-1")
	f.Add(hex64, "")
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, id, slot string) {
		serve(t, h, "GET", "/v1/workloads/"+url.PathEscape(id)+"/slots/"+url.PathEscape(slot)+"/sealed", nil)
	})
}

// FuzzList: the paginated lists' query strings (limit, cursor, owner).
func FuzzList(f *testing.F) {
	for _, s := range []string{"", "limit=1", "limit=0", "limit=1001", "limit=-1", "cursor=zz", "cursor=" + hex64,
		"cursor=" + strings.Repeat("00", 40), "cursor=" + strings.Repeat("00", 41), "owner=" + validAddr + "&limit=2",
		"owner=prv1nope", "limit=1&limit=2", "%zz", "cursor=" + strings.Repeat("0", 5000),
		"state=active&hardware=gpu", "state=final&program=" + hex64 + "&from_height=1&to_height=9", "hardware=tpu",
		"from_height=0", "to_height=99999999999999999999", "from_height=5&to_height=4", "state=" + strings.Repeat("s", 70)} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/v1/workloads", "/v1/provers", "/v1/programs"} {
			rec := serve(t, h, "GET", path+"?"+query, nil)
			if rec != nil && rec.Code == http.StatusOK {
				var page struct {
					Next *string `json:"next"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.Next == nil {
					t.Fatalf("%s?%s: a page without next: %s", path, query, rec.Body)
				}
			}
		}
	})
}

// FuzzFee: GET /v1/fee's query string.
func FuzzFee(f *testing.F) {
	for _, s := range []string{"program=" + hex64 + "&cycles=1&provers=1", "", "cycles=-1", "provers=4294967296",
		"program=xyz&cycles=18446744073709551615&provers=1"} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		serve(t, h, "GET", "/v1/fee?"+query, nil)
	})
}

// FuzzRoute: any method and path, including the fixed routes (status,
// params, supply) and the catch-all.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/v1/status", "/v1/params", "/v1/supply", "/v1/beacon", "/v1/blocks/latest", "/",
		"/v1/nothing", "/v1//accounts", "/v1/../v1/status", "/v1/workloads/" + hex64 + "/slots"} {
		f.Add("GET", s)
	}
	f.Add("DELETE", "/v1/status")
	f.Add("PUT", "/v1/txs")
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, method, path string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n") || !strings.HasPrefix(path, "/") {
			return // not a request line the HTTP server would parse: outside the target
		}
		serve(t, h, method, path, nil)
	})
}

// FuzzHistory: GET /v1/provers/{address}/history's query string.
func FuzzHistory(f *testing.F) {
	for _, s := range []string{"", "limit=1", "limit=0", "limit=101", "cursor=5:0", "cursor=5", "cursor=0:0",
		"cursor=-1:3", "cursor=9223372036854775807:2147483647", "cursor=" + strings.Repeat("9", 50) + ":1", "limit=3&cursor=2:1"} {
		f.Add(s)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query string) {
		serve(t, h, "GET", "/v1/provers/"+validAddr+"/history?"+query, nil)
	})
}
