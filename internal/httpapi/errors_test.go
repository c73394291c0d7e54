package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAPIErrors sends bad requests to the API over a real chain.App (the
// fake backend, no CometBFT and no devnet): each gets its status and a JSON
// error body.
func TestAPIErrors(t *testing.T) {
	srv := httptest.NewServer(Handler(newAppBackend(t)))
	t.Cleanup(srv.Close)
	api := srv.URL
	cases := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/accounts/not-an-address", "", http.StatusBadRequest},
		{"GET", "/v1/nothing-here", "", http.StatusNotFound},
		{"POST", "/v1/txs", "not json", http.StatusBadRequest},
		{"POST", "/v1/txs", `{"tx": "%%%"}`, http.StatusBadRequest},
		{"POST", "/v1/txs", `{"tx": "AAAA"}`, http.StatusUnprocessableEntity}, // decodes to garbage: code 1
		{"GET", "/v1/txs/1234", "", http.StatusBadRequest},
		{"GET", "/v1/txs/" + strings.Repeat("AB", 32), "", http.StatusNotFound},
		{"GET", "/v1/beacon/0", "", http.StatusBadRequest},
		{"GET", "/v1/beacon/99999999", "", http.StatusNotFound},
		{"GET", "/v1/blocks/abc", "", http.StatusBadRequest},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, api+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil {
			t.Errorf("%s %s: status %d (%v), want %d", c.method, c.path, resp.StatusCode, err, c.status)
			continue
		}
		if c.status == http.StatusUnprocessableEntity {
			if body["code"] != float64(1) || body["code_name"] != "malformed" {
				t.Errorf("%s %s: body %v, want code 1 malformed", c.method, c.path, body)
			}
		} else if msg, _ := body["error"].(string); msg == "" {
			t.Errorf("%s %s: error body without a message: %v", c.method, c.path, body)
		}
	}
}
