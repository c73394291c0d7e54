package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestListParamsAndBounds: the list endpoints answer pages with a next
// field, refuse limits and cursors outside their bounds, and the API
// refuses over-long URLs and bodies before any handler parses them.
func TestListParamsAndBounds(t *testing.T) {
	h := Handler(newAppBackend(t))
	for _, tc := range []struct {
		method, target string
		body           string
		status         int
	}{
		{"GET", "/v1/provers", "", 200},
		{"GET", "/v1/provers?limit=1000", "", 200},
		{"GET", "/v1/programs?limit=1", "", 200},
		{"GET", "/v1/workloads?limit=5&owner=" + validAddr, "", 200},
		{"GET", "/v1/workloads?cursor=" + strings.Repeat("00", 40), "", 200},
		{"GET", "/v1/provers?limit=0", "", 400},
		{"GET", "/v1/provers?limit=1001", "", 400},
		{"GET", "/v1/workloads?limit=ten", "", 400},
		{"GET", "/v1/workloads?cursor=zz", "", 400},
		{"GET", "/v1/workloads?cursor=" + strings.Repeat("00", 41), "", 400},
		{"GET", "/v1/workloads?cursor=0102", "", 400}, // not a cursor the chain hands out
		{"GET", "/v1/provers?cursor=" + strings.Repeat("00", 40), "", 400},
		{"GET", "/v1/workloads?owner=prv1nope", "", 400},
		{"GET", "/v1/workloads?owner=" + strings.Repeat("x", maxURL), "", 414},
		{"POST", "/v1/txs", `{"tx": "` + strings.Repeat("A", maxBody) + `"}`, 413},
	} {
		rec := serve(t, h, tc.method, tc.target, []byte(tc.body))
		if rec == nil {
			t.Fatalf("%s %.80s: not a request URI", tc.method, tc.target)
		}
		if rec.Code != tc.status {
			t.Errorf("%s %.80s: %d, want %d: %.200s", tc.method, tc.target, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == http.StatusOK {
			var page map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || string(page["next"]) != `""` {
				t.Errorf("%s: page %s (%v): want an empty next on the only page", tc.target, rec.Body, err)
			}
		}
	}
}
