package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEventRequestRefuses: every malformed stream parameter is a 400 with
// a reason, before any stream starts.
func TestEventRequestRefuses(t *testing.T) {
	for _, c := range []struct{ query, lastID, want string }{
		{"workload=xyz", "", "64 hex"},
		{"workload=" + strings.Repeat("ab", 31), "", "64 hex"},
		{"owner=nobody", "", "owner must be a prv1 address"},
		{"prover=prv1xyz", "", "prover must be a prv1 address"},
		{"from=0", "", "positive height"},
		{"from=-3", "", "positive height"},
		{"", "12", "HEIGHT:INDEX"},
		{"", "12:x", "HEIGHT:INDEX"},
		{"", "0:1", "HEIGHT:INDEX"},
		{"", "5:-1", "HEIGHT:INDEX"},
	} {
		r := httptest.NewRequest("GET", "/v1/events?"+c.query, nil)
		if c.lastID != "" {
			r.Header.Set("Last-Event-ID", c.lastID)
		}
		if _, _, _, msg := parseEventRequest(r); !strings.Contains(msg, c.want) {
			t.Errorf("%q / %q: %q; want it to say %q", c.query, c.lastID, msg, c.want)
		}
	}
	r := httptest.NewRequest("GET", "/v1/events?from=7&workload="+strings.Repeat("AB", 32), nil)
	r.Header.Set("Last-Event-ID", "9:4")
	f, from, skip, msg := parseEventRequest(r)
	if msg != "" || from != 9 || skip != 4 || f.workload != strings.Repeat("ab", 32) {
		t.Fatalf("resume: %+v from %d skip %d %q; want from 9 (Last-Event-ID wins) skip 4", f, from, skip, msg)
	}
}
