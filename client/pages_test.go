package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/provernet/provernet/wire"
)

// servePrograms answers /v1/programs from progs in pages of the requested
// limit, with the index of the next record as the cursor, and records the
// queries it got.
func servePrograms(n *testNode, progs []wire.Program, queries *[]string) {
	n.handle("GET /v1/programs", func(w http.ResponseWriter, r *http.Request) {
		*queries = append(*queries, r.URL.RawQuery)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = DefaultPageLimit
		}
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		to := min(from+limit, len(progs))
		page := wire.ProgramPage{Programs: progs[from:to]}
		if to < len(progs) {
			page.Next = strconv.Itoa(to)
		}
		writeJSON(w, http.StatusOK, page)
	})
}

func testPrograms(n int) []wire.Program {
	ps := make([]wire.Program, n)
	for i := range ps {
		ps[i] = wire.Program{ID: fmt.Sprintf("%064x", i), Name: fmt.Sprintf("p%d", i)}
	}
	return ps
}

// TestProgramsFollowsPages: Programs reads every page, asking for the
// largest pages and passing each page's cursor on.
func TestProgramsFollowsPages(t *testing.T) {
	n := newTestNode(t)
	var queries []string
	servePrograms(n, testPrograms(2*MaxPageLimit+5), &queries)
	ps, err := n.client().Programs(context.Background())
	if err != nil || len(ps) != 2*MaxPageLimit+5 || ps[len(ps)-1].Name != fmt.Sprintf("p%d", 2*MaxPageLimit+4) {
		t.Fatalf("%d programs, %v", len(ps), err)
	}
	want := []string{"limit=1000", "cursor=1000&limit=1000", "cursor=2000&limit=1000"}
	if fmt.Sprint(queries) != fmt.Sprint(want) {
		t.Fatalf("queries %v, want %v", queries, want)
	}
}

// TestPageQuery: one page's options become the query string.
func TestPageQuery(t *testing.T) {
	for _, c := range []struct {
		o    ListOptions
		want string
	}{
		{ListOptions{}, "/v1/workloads"},
		{ListOptions{Limit: 5}, "/v1/workloads?limit=5"},
		{ListOptions{Cursor: "a b", Owner: "prv1x"}, "/v1/workloads?cursor=a+b&owner=prv1x"},
		{ListOptions{State: "final", Program: "ab", FromHeight: 3, ToHeight: 9}, "/v1/workloads?from_height=3&program=ab&state=final&to_height=9"},
		{ListOptions{Hardware: "gpu", Label: "my box"}, "/v1/workloads?hardware=gpu&label=my+box"},
	} {
		if got := c.o.query("/v1/workloads"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}

// TestAllStopsOnErrorAndLoops: a page's error ends the listing; a list
// whose cursors never end stops at maxPages with ErrTooManyPages.
func TestAllStopsOnErrorAndLoops(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := all(func(cursor string) ([]int, string, error) {
		calls++
		if calls == 3 {
			return nil, "", boom
		}
		return []int{calls}, "more", nil
	})
	if !errors.Is(err, boom) || calls != 3 {
		t.Fatalf("error on page 3: %v after %d calls", err, calls)
	}
	calls = 0
	_, err = all(func(string) ([]int, string, error) { calls++; return []int{1}, "again", nil })
	if !errors.Is(err, ErrTooManyPages) || calls != maxPages {
		t.Fatalf("endless cursors: %v after %d calls", err, calls)
	}
}
