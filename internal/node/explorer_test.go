package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/provernet/provernet/internal/explorer"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/wire"
)

// The explorer's browser tests drive Debian's chromium (headless, through
// the DevTools protocol) against the explorer a node serves at /.

// chromium returns the browser's path: skipped when it is missing, except
// in CI, whose .ci/run installs the Debian package.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: .ci/run installs the Debian package chromium")
	}
	t.Skip("chromium is not installed (apt-get install chromium): the explorer's browser test is skipped")
	return ""
}

// artifacts is where screenshots go: $PROVERNET_ARTIFACTS, else a
// temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PROVERNET_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browserPage is one headless chromium tab, with the page's uncaught
// exceptions and its refused loads (Content-Security-Policy) recorded.
type browserPage struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	mu   sync.Mutex
	errs []string
}

func openBrowser(t *testing.T, url string) *browserPage {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	p := &browserPage{t: t, ctx: ctx, dir: artifacts(t)}
	// Subscribed before the first page loads; both end with ctx.
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(ctx, log.EntryAdded)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			p.record((&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			if e := ev.Entry; e != nil && (strings.Contains(e.Text, "Content Security Policy") || strings.Contains(e.Text, "Refused")) {
				p.record(e.Text)
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("chromium could not open %s: %v", url, err)
	}
	return p
}

func (p *browserPage) record(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, s)
}

// checkNoErrors fails the test on any uncaught exception or refused load
// so far.
func (p *browserPage) checkNoErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		p.t.Errorf("the page reported: %s", e)
	}
}

// eval evaluates a JavaScript expression in the page, within 20 s.
func evalIn[T any](p *browserPage, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// visit moves the app to a hash route (no page load).
func (p *browserPage) visit(route string) {
	p.t.Helper()
	js, _ := json.Marshal(route)
	if _, err := evalIn[string](p, "location.hash = "+string(js)); err != nil {
		p.t.Fatalf("visit %s: %v", route, err)
	}
}

// waitFor polls a JavaScript predicate until it holds; on a timeout it
// saves a screenshot and fails with the page's text.
func (p *browserPage) waitFor(what, expr string, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, err := evalIn[bool](p, "!!("+expr+")")
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.shot("failed")
			text, _ := evalIn[string](p, "document.getElementById('main').innerText")
			p.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// count is the number of elements a CSS selector matches.
func (p *browserPage) count(sel string) int {
	p.t.Helper()
	js, _ := json.Marshal(sel)
	n, err := evalIn[int](p, "document.querySelectorAll("+string(js)+").length")
	if err != nil {
		p.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// shot saves a full-page PNG screenshot as NAME.png in the artifacts.
func (p *browserPage) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(p.dir, p.t.Name()+"-"+name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}

// buildProvernet builds the provernet command into a temporary directory.
func buildProvernet(t *testing.T) func() string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "provernet")
	done := make(chan error, 1)
	go func() {
		out, err := exec.Command("go", "build", "-o", bin, "../../cmd/provernet").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build ./cmd/provernet: %w\n%s", err, out)
		}
		done <- err
	}()
	return func() string {
		t.Helper()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return bin
	}
}

// TestExplorer opens the explorer of a devnet with one prover daemon in
// headless chromium, submits a Run with the provernet command (`provernet
// run`, built from ./cmd/provernet), and watches it on the pages: its id
// in the live feed, its page reaching final with its slot and timeline,
// the overview's charts drawn from it, the provers table sorted by a
// click, and the other pages. Screenshots go to $PROVERNET_ARTIFACTS.
func TestExplorer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and a browser")
	}
	chromium(t)
	t.Parallel()
	started := time.Now()
	cli := buildProvernet(t)
	e := startE2E(t, 1)
	e.startProver(0, prover.FaultNone)
	api := e.d.APIURL()
	p := openBrowser(t, api+"/")
	p.waitFor("the overview", "document.getElementById('feed') && document.getElementById('chart-price')", 30*time.Second)
	p.waitFor("the live event stream", "document.querySelector('#live.on')", 30*time.Second)
	e.waitActive(1)
	p.shot("overview-before")

	// The Run, sent as a user does.
	ctx := e.ctx(60 * time.Second)
	q, err := e.c.Fee(ctx, e.prog.ID, e.prog.Cycles, 1)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--home", e.d.Home(), "--node", api, "run", e.prog.Name, "--cycles", fmt.Sprint(e.prog.Cycles),
		"--provers", "1", "--from", "dev1", "--deadline", fmt.Sprint(q.MinDeadline + 300), "--output", "json"}
	for _, in := range e.prog.Inputs {
		args = append(args, "--input", in)
	}
	out, err := exec.CommandContext(ctx, cli(), args...).Output()
	if err != nil {
		t.Fatalf("provernet run: %v\n%s%s", err, out, stderrOf(err))
	}
	var rep struct {
		Workload string `json:"workload"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Workload) != 64 {
		t.Fatalf("provernet run printed %q: %v", out, err)
	}
	id := rep.Workload
	link := fmt.Sprintf(`a[href="#/workload/%s"]`, id)
	p.waitFor("the Run in the live feed", fmt.Sprintf("document.querySelector('#feed %s')", link), 30*time.Second)

	// Its page follows it to final.
	p.visit("#/workload/" + id)
	p.waitFor("the workload to be final on its page", "document.querySelector('#wl-state') && document.querySelector('#wl-state').textContent === 'final'", 120*time.Second)
	p.waitFor("its slot", "document.querySelectorAll('#slots tbody tr').length === 1", 10*time.Second)
	p.waitFor("its timeline", "document.querySelectorAll('#timeline tbody tr').length >= 4 && document.querySelectorAll('#timeline-chart svg circle').length >= 4", 10*time.Second)
	if p.count(fmt.Sprintf(`#slots a[href="#/prover/%s"]`, e.d.ProverKeys[0].Address())) != 1 {
		t.Error("the slot does not link its prover")
	}
	p.shot("workload")

	// The overview: the charts drew it, the feed kept its events.
	p.visit("#/")
	p.waitFor("the charts", "document.querySelectorAll('#chart-latency svg rect.bar').length > 0 && "+
		"document.querySelectorAll('#chart-rewards svg rect.bar').length > 0 && "+
		"document.querySelectorAll('#chart-price svg path.line').length > 0 && document.querySelectorAll('#chart-price svg circle').length > 0", 30*time.Second)
	if n := p.count("#feed " + link); n < 2 {
		t.Errorf("the live feed links the workload %d times, want its run and its later events", n)
	}
	if !strings.Contains(evalOK[string](p, "document.getElementById('states').textContent"), "final") {
		t.Error("the overview's workload states lack final")
	}
	p.shot("overview")

	// Provers: one row, sorted by a click on a column header.
	p.visit("#/provers")
	p.waitFor("the provers table", "document.querySelectorAll('#provers tbody tr').length === 1", 20*time.Second)
	p.click(`#provers th[data-key="stake"]`)
	p.waitFor("the table sorted by stake", `document.querySelector('#provers th[data-key="stake"]').className === 'desc'`, 5*time.Second)
	p.shot("provers")
	p.visit("#/prover/" + e.d.ProverKeys[0].Address())
	p.waitFor("the prover's history", fmt.Sprintf("document.querySelector('#history %s')", link), 20*time.Second)
	p.shot("prover")

	// Programs, blocks, a block.
	p.visit("#/programs")
	p.waitFor("the programs", fmt.Sprintf("document.querySelectorAll('#programs tbody tr').length === 1 && document.getElementById('programs').textContent.includes(%q)", e.prog.Name), 20*time.Second)
	p.visit("#/blocks")
	p.waitFor("the latest blocks", "document.querySelectorAll('#blocks tbody tr').length === 20", 20*time.Second)
	p.shot("blocks")
	p.visit("#/block/3")
	p.waitFor("block 3", "document.querySelector('h1').textContent === 'Block 3'", 20*time.Second)
	p.checkNoErrors()
	t.Logf("the browser test took %s", time.Since(started).Round(100*time.Millisecond))
}

// evalOK is evalIn failing the test on an error.
func evalOK[T any](p *browserPage, expr string) T {
	p.t.Helper()
	v, err := evalIn[T](p, expr)
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// click clicks the element a CSS selector matches first.
func (p *browserPage) click(sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.t.Fatalf("click %s: %v", sel, err)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// Values a hostile deployer, owner or prover could put in the chain's
// records: each must reach the page as text.
const (
	evilName   = `<script>document.title='pwned'</script>sha`
	evilReason = `<img src=x onerror="document.title='pwned'">`
	evilInput  = `<b>bold</b>.json`
)

// withTimeline is the one workload whose timeline the fake API serves.
var withTimeline = strings.Repeat("cd", 32)

// fakeAPI serves the explorer beside a /v1 whose records hold markup.
// Every workload id answers the same record, prover addresses one of three;
// the timeline and the history answer for withTimeline and the first of
// the other provers only (404 otherwise, as a node without them).
func fakeAPI(t *testing.T) (*httptest.Server, string, string) {
	t.Helper()
	id := strings.Repeat("ab", 32)
	addr := "prv1" + strings.Repeat("q", 38)
	now := time.Now().UTC()
	w := wire.Workload{ID: id, Program: strings.Repeat("cd", 32), Owner: addr, K: 1, Cycles: 5_000_000, Height: 5, Deadline: 300,
		Fee: 1_500_000, State: "failed", Reason: evilReason, AllocatedHeight: 6, FinalHeight: 9,
		Inputs: []wire.Input{{Name: evilInput, SHA256: strings.Repeat("ef", 32), Size: 10, Inline: true}},
		Slots:  []wire.Slot{{Index: 0, State: "invalid", Prover: addr, AllocatedTo: addr, SubmitHeight: 7, DecidedHeight: 9, Outcome: evilReason}}}
	pr := wire.Prover{Address: addr, State: "suspended", Stake: 2_500_000, Reason: evilReason,
		Hardware: &wire.Hardware{CPUCores: 4, MemoryMB: 8192, GPUs: []wire.GPU{{Model: evilName, MemoryMB: 1024}}}}
	others := []wire.Prover{{Address: "prv1" + strings.Repeat("p", 38), State: "active", Stake: 3_000_000, ProofsFinal: 2},
		{Address: "prv1" + strings.Repeat("r", 38), State: "active", Stake: 1_000_000, ProofsFinal: 1}}
	prog := wire.Program{ID: w.Program, Name: evilName, Owner: addr, Height: 3, Verifier: &wire.Module{SHA256: "00", Size: 1}}
	mux := http.NewServeMux()
	reply := func(v any) http.HandlerFunc {
		return func(rw http.ResponseWriter, _ *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(rw).Encode(v)
		}
	}
	mux.Handle("GET /v1/status", reply(wire.Status{ChainID: "evil<i>chain</i>", Moniker: evilName, Height: 12, BlockTime: now}))
	mux.Handle("GET /v1/supply", reply(wire.Supply{Genesis: 1_000_000_000, Height: 12}))
	mux.Handle("GET /v1/workloads", reply(map[string]any{"workloads": []wire.Workload{w}, "next": ""}))
	mux.HandleFunc("GET /v1/workloads/{id}", func(rw http.ResponseWriter, r *http.Request) {
		w := w
		w.ID = r.PathValue("id")
		reply(w)(rw, r)
	})
	// The timeline of withTimeline and the history of others[0]; 404 for
	// the rest, as a node without the endpoints answers.
	mux.HandleFunc("GET /v1/workloads/{id}/timeline", func(rw http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != withTimeline {
			http.NotFound(rw, r)
			return
		}
		reply(map[string]any{"workload": withTimeline, "entries": []map[string]any{
			{"height": 5, "kind": "run", "slot": -1, "prover": "", "tx": strings.Repeat("AB", 32), "detail": ""},
			{"height": 7, "kind": "submitted", "slot": 0, "prover": addr, "tx": strings.Repeat("CD", 32), "detail": evilReason}}})(rw, r)
	})
	mux.HandleFunc("GET /v1/provers/{address}/history", func(rw http.ResponseWriter, r *http.Request) {
		if r.PathValue("address") != others[0].Address {
			http.NotFound(rw, r)
			return
		}
		if r.URL.Query().Get("cursor") == "" {
			reply(map[string]any{"prover": others[0].Address, "next": "c1", "entries": []map[string]any{
				{"height": 9, "kind": "final", "workload": id, "slot": 0, "amount_uprv": 1_500_000, "detail": evilName}}})(rw, r)
			return
		}
		reply(map[string]any{"prover": others[0].Address, "next": "", "entries": []map[string]any{
			{"height": 4, "kind": "registered", "workload": "", "slot": -1, "amount_uprv": 0, "detail": ""}}})(rw, r)
	})
	mux.Handle("GET /v1/provers", reply(map[string]any{"provers": append([]wire.Prover{pr}, others...), "next": ""}))
	mux.HandleFunc("GET /v1/provers/{address}", func(rw http.ResponseWriter, r *http.Request) {
		for _, o := range others {
			if o.Address == r.PathValue("address") {
				reply(o)(rw, r)
				return
			}
		}
		reply(pr)(rw, r)
	})
	mux.Handle("GET /v1/programs", reply(map[string]any{"programs": []wire.Program{prog}, "next": ""}))
	mux.HandleFunc("GET /v1/blocks/{height}", func(rw http.ResponseWriter, r *http.Request) {
		var h int64
		fmt.Sscan(r.PathValue("height"), &h)
		reply(wire.Block{Height: h, Hash: evilName, Time: now.Add(time.Duration(h-12) * time.Second), Proposer: evilReason})(rw, r)
	})
	mux.HandleFunc("GET /v1/events", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/event-stream")
		b, _ := json.Marshal(map[string]any{"height": 12, "index": 0, "type": "workload", "attrs": map[string]string{"id": id, "state": "failed", "reason": evilReason}})
		fmt.Fprintf(rw, "id: 12:0\nevent: workload\ndata: %s\n\n", b)
		rw.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/v1/", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(rw, `{"error": "no such endpoint: %s"}`, r.URL.Path)
	})
	mux.Handle("/", explorer.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, id, addr
}

// TestExplorerShowsDataAsText: records holding <script>, <img onerror>
// and <b> (a program name, a workload's reason, an input's name, a
// prover's reason and GPU model, a block's hash, an event's attributes)
// reach every page as text: no element comes of them, the title stays,
// and the text shows them literally. The node lacks the timeline and the
// history endpoints: both pages say so and fall back.
func TestExplorerShowsDataAsText(t *testing.T) {
	srv, id, addr := fakeAPI(t)
	p := openBrowser(t, srv.URL+"/")
	injected := func(where string) {
		t.Helper()
		if n := p.count("#main script, #main img, #main b, #main i, #main iframe"); n != 0 {
			t.Errorf("%s: %d elements made of the API's values", where, n)
		}
		if title := evalOK[string](p, "document.title"); title != "provernet explorer" {
			t.Errorf("%s: the title became %q", where, title)
		}
	}
	text := func() string { return evalOK[string](p, "document.getElementById('main').textContent") }

	p.waitFor("the overview with the event", fmt.Sprintf(`document.querySelector('#feed a[href="#/workload/%s"]')`, id), 20*time.Second)
	injected("overview")
	if !strings.Contains(text(), "<i>chain</i>") || !strings.Contains(text(), "<img src") {
		t.Errorf("the overview does not show the chain id and the event's reason as text:\n%s", text())
	}
	p.shot("overview")

	p.visit("#/workload/" + id)
	p.waitFor("the workload", "document.querySelector('#timeline')", 20*time.Second)
	injected("workload")
	for _, s := range []string{evilReason, evilInput, evilName, "not available on this node"} {
		if !strings.Contains(text(), s) {
			t.Errorf("the workload page lacks %q", s)
		}
	}
	if n := p.count("#timeline tbody tr"); n != 5 { // run, allocated, submitted, decided, failed
		t.Errorf("the timeline built from the record has %d rows, want 5", n)
	}
	p.shot("workload")

	p.visit("#/prover/" + addr)
	p.waitFor("the prover", "document.querySelector('#history table')", 20*time.Second)
	injected("prover")
	if tx := text(); !strings.Contains(tx, evilReason) || !strings.Contains(tx, evilName) || !strings.Contains(tx, "history is not available on this node") {
		t.Errorf("the prover page:\n%s", tx)
	}
	// The provers table sorts by the column clicked, then the other way.
	p.visit("#/provers")
	p.waitFor("the provers", "document.querySelectorAll('#provers tbody tr').length === 3", 20*time.Second)
	injected("#/provers")
	column := func(i int) string {
		return evalOK[string](p, fmt.Sprintf("[...document.querySelectorAll('#provers tbody td:nth-child(%d)')].map((td) => td.textContent).join(' | ')", i))
	}
	if got := column(3); got != "3 PRV | 1 PRV | 2.5 PRV" { // by final proofs, most first
		t.Errorf("provers by final proofs: stakes %q", got)
	}
	for _, c := range []struct {
		key  string
		col  int
		want string
	}{
		{"stake", 3, "3 PRV | 2.5 PRV | 1 PRV"}, {"stake", 3, "1 PRV | 2.5 PRV | 3 PRV"},
		{"address", 1, "prv1pppppp…pppppp | prv1qqqqqq…qqqqqq | prv1rrrrrr…rrrrrr"},
		{"state", 2, "active | active | suspended"},
	} {
		p.click(fmt.Sprintf(`#provers th[data-key=%q]`, c.key))
		if got := column(c.col); got != c.want {
			t.Errorf("after a click on %s: column %d is %q, want %q", c.key, c.col, got, c.want)
		}
	}
	p.shot("provers")
	// Where the node has them: the timeline and the history, a page at a time.
	p.visit("#/workload/" + withTimeline)
	p.waitFor("the node's timeline", "document.querySelectorAll('#timeline tbody tr').length === 2", 20*time.Second)
	injected("timeline")
	if tx := text(); strings.Contains(tx, "not available") || !strings.Contains(tx, "from this node") || !strings.Contains(tx, evilReason) {
		t.Errorf("the workload page with the node's timeline:\n%s", tx)
	}
	p.visit("#/prover/prv1" + strings.Repeat("p", 38))
	p.waitFor("the prover's history", "document.querySelector('#history button')", 20*time.Second)
	p.click("#history button")
	p.waitFor("the older history", "document.querySelectorAll('#history tbody tr').length === 2 && !document.querySelector('#history button')", 20*time.Second)
	injected("history")
	if tx := text(); strings.Contains(tx, "not available") || !strings.Contains(tx, "1.5 PRV") || !strings.Contains(tx, evilName) || !strings.Contains(tx, "registered") {
		t.Errorf("the prover page with the node's history:\n%s", tx)
	}
	p.shot("history")
	for _, route := range []string{"#/programs", "#/workloads", "#/blocks", "#/block/12"} {
		p.visit(route)
		p.waitFor(route, "document.querySelector('#main table')", 20*time.Second)
		injected(route)
	}
	if !strings.Contains(text(), evilName) {
		t.Error("the block page does not show the hash as text")
	}
	p.checkNoErrors()
}
