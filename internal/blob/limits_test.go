package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// refSet is a set of referenced hashes, as the chain's index would be.
type refSet struct {
	mu sync.Mutex
	m  map[Hash]bool
}

func (r *refSet) has(h Hash) bool { r.mu.Lock(); defer r.mu.Unlock(); return r.m[h] }
func (r *refSet) add(b []byte) {
	r.mu.Lock()
	r.m[Sum(b)] = true
	r.mu.Unlock()
}

func newPolicyStore(t *testing.T, dir string, quota int64) (*Store, *clock, *refSet) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	refs := &refSet{m: map[Hash]bool{}}
	s, err := OpenWith(dir, Options{MaxSize: 1 << 20, Quota: quota, Grace: time.Hour, Referenced: refs.has, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, refs
}

// TestQuota: unreferenced blobs never total more than the quota; a
// referenced blob is taken regardless, and the same blob twice is charged
// once.
func TestQuota(t *testing.T) {
	s, _, refs := newPolicyStore(t, t.TempDir(), 10)
	if _, _, err := s.Put(strings.NewReader("sixsix")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(strings.NewReader("sixsix")); err != nil {
		t.Fatalf("the same blob again: %v", err)
	}
	if _, _, err := s.Put(strings.NewReader("second")); !errors.Is(err, ErrQuota) {
		t.Fatalf("past the quota: %v", err)
	}
	refs.add([]byte("named!"))
	if _, _, err := s.Put(strings.NewReader("named!")); err != nil {
		t.Fatalf("a referenced blob was refused: %v", err)
	}
	if n, _, unref := s.Usage(); n != 2 || unref != 6 {
		t.Fatalf("usage: %d blobs, %d unreferenced bytes", n, unref)
	}
	if s.Has(Sum([]byte("second"))) {
		t.Fatal("a refused blob was kept")
	}
}

// TestSweep: an unreferenced blob is kept through its grace period and
// collected after; a referenced one, or one referenced later, never is;
// the quota it held is freed; and a reopened store knows what is on disk.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	s, c, refs := newPolicyStore(t, dir, 100)
	for _, b := range []string{"orphan", "named", "named later"} {
		if _, _, err := s.Put(strings.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	refs.add([]byte("named"))
	c.add(30 * time.Minute)
	if st, err := s.Sweep(); err != nil || st.Collected != 0 || st.Referenced != 1 || st.UnreferencedKept != int64(len("orphan")+len("named later")) {
		t.Fatalf("sweep in the grace period: %+v %v", st, err)
	}
	refs.add([]byte("named later"))
	c.add(31 * time.Minute)
	st, err := s.Sweep()
	if err != nil || st.Collected != 1 || st.CollectedBytes != int64(len("orphan")) || st.Kept != 2 {
		t.Fatalf("sweep after the grace period: %+v %v", st, err)
	}
	if s.Has(Sum([]byte("orphan"))) {
		t.Fatal("the orphan is still indexed")
	}
	if _, err := os.Stat(s.Path(Sum([]byte("orphan")))); !os.IsNotExist(err) {
		t.Fatalf("the orphan's file: %v", err)
	}
	if _, _, unref := s.Usage(); unref != 0 {
		t.Fatalf("%d unreferenced bytes after the sweep", unref)
	}
	// A re-upload restarts the grace period.
	if _, _, err := s.Put(strings.NewReader("orphan")); err != nil {
		t.Fatal(err)
	}
	c.add(59 * time.Minute)
	if _, _, err := s.Put(strings.NewReader("orphan")); err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Minute)
	if st, _ := s.Sweep(); st.Collected != 0 {
		t.Fatal("a refreshed blob was collected in its new grace period")
	}
	s2, _, _ := newPolicyStore(t, dir, 100)
	if n, bytes, _ := s2.Usage(); n != 3 || bytes != int64(len("orphan")+len("named")+len("named later")) {
		t.Fatalf("reopened: %d blobs, %d bytes", n, bytes)
	}
}

// TestLimiter: a bucket allows its burst, refuses while in debt, refills
// at its rate, buckets IPv6 clients by /64, and stays bounded.
func TestLimiter(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := NewLimiter(2, 3, c.now)
	for i := range 3 {
		if !l.Allow("a", 1) {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if l.Allow("a", 1) || l.RetryAfter("a", 1) != 500*time.Millisecond {
		t.Fatalf("past the burst: allowed, retry after %v", l.RetryAfter("a", 1))
	}
	l.Charge("a", 1) // into debt: one token short of even a free action
	if l.Allow("a", 0) || l.RetryAfter("a", 0) != 500*time.Millisecond {
		t.Fatalf("in debt: allowed, retry after %v", l.RetryAfter("a", 0))
	}
	if !l.Allow("b", 1) {
		t.Fatal("another client was refused")
	}
	c.add(time.Second)
	if !l.Allow("a", 1) {
		t.Fatal("not refilled after a second")
	}
	for i := range maxClients + 10 {
		l.Allow(fmt.Sprint("flood", i), 100)
	}
	if len(l.buckets) > maxClients {
		t.Fatalf("%d buckets", len(l.buckets))
	}
	if NewLimiter(0, 0, nil).Allow("x", 1e9) != true {
		t.Fatal("a nil limiter refused")
	}
	r := httptest.NewRequest("PUT", "/", nil)
	r.RemoteAddr = "[2001:db8:1:2:3:4:5:6]:999"
	r2 := httptest.NewRequest("PUT", "/", nil)
	r2.RemoteAddr = "[2001:db8:1:2:ffff::1]:1"
	if ClientOf(r) != ClientOf(r2) || ClientOf(r) != "2001:db8:1:2::/64" {
		t.Fatalf("IPv6 clients %q and %q", ClientOf(r), ClientOf(r2))
	}
}

// blockingBody is an upload body that waits until released.
type blockingBody struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	return 0, io.EOF
}

func putReq(h http.Handler, client string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPut, "/v1/blobs", body)
	r.RemoteAddr = client + ":1234"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// TestUploadLimits: over HTTP, uploads are refused past a client's rate
// (429 with Retry-After), past its uploads in flight (429), past the
// node's slots (503), past the quota (507) and past the size cap (413).
func TestUploadLimits(t *testing.T) {
	s, c, _ := newPolicyStore(t, t.TempDir(), 64)
	h := NewHandler(s, nil, HandlerOptions{Limits: Limits{Requests: NewLimiter(1, 2, c.now),
		Bytes: NewLimiter(1000, 1000, c.now), MaxUploads: 3, PerClient: 2}})
	for i := range 2 {
		if rec := putReq(h, "10.0.0.1", strings.NewReader(fmt.Sprint("blob ", i))); rec.Code != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if rec := putReq(h, "10.0.0.1", strings.NewReader("third")); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("past the rate: %d %v", rec.Code, rec.Header())
	}
	if rec := putReq(h, "10.0.0.2", strings.NewReader("other client")); rec.Code != http.StatusCreated {
		t.Fatalf("another client: %d", rec.Code)
	}
	c.add(10 * time.Second)

	// Uploads in flight: two per client, three in all.
	var wg sync.WaitGroup
	var held []*blockingBody
	hold := func(client string) {
		b := &blockingBody{started: make(chan struct{}), release: make(chan struct{})}
		held = append(held, b)
		wg.Add(1)
		go func() { defer wg.Done(); putReq(h, client, b) }()
		<-b.started
	}
	hold("10.0.0.3")
	hold("10.0.0.3")
	if rec := putReq(h, "10.0.0.3", strings.NewReader("x")); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a third upload in flight from one client: %d", rec.Code)
	}
	hold("10.0.0.4")
	if rec := putReq(h, "10.0.0.5", strings.NewReader("x")); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("past the node's slots: %d", rec.Code)
	}
	for _, b := range held {
		close(b.release)
	}
	wg.Wait()

	if rec := putReq(h, "10.0.0.6", bytes.NewReader(make([]byte, 60))); rec.Code != http.StatusInsufficientStorage {
		t.Fatalf("past the quota: %d %s", rec.Code, rec.Body)
	}
	if rec := putReq(h, "10.0.0.7", bytes.NewReader(make([]byte, 2<<20))); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("past the size cap: %d", rec.Code)
	}
}

// TestUploadsElsewhere: with a separate upload listener, a PUT on the
// download side is redirected there and stores nothing.
func TestUploadsElsewhere(t *testing.T) {
	s, _, _ := newPolicyStore(t, t.TempDir(), 64)
	h := NewHandler(s, nil, HandlerOptions{UploadsAt: "http://127.0.0.1:9/"})
	rec := putReq(h, "10.0.0.1", strings.NewReader("x"))
	if rec.Code != http.StatusTemporaryRedirect || rec.Header().Get("Location") != "http://127.0.0.1:9/v1/blobs" {
		t.Fatalf("PUT: %d %v", rec.Code, rec.Header())
	}
	if n, _, _ := s.Usage(); n != 0 {
		t.Fatal("a redirected upload was stored")
	}
}

// TestNoFetchForUnreferenced: a GET of a blob nothing references is not
// relayed to peers (no amplification), while a referenced one is.
func TestNoFetchForUnreferenced(t *testing.T) {
	var asked atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		_, _ = w.Write([]byte("wanted"))
	}))
	defer peer.Close()
	s, _, refs := newPolicyStore(t, t.TempDir(), 64)
	h := NewHandler(s, &Fetcher{Store: s, Peers: func() []string { return []string{peer.URL} }}, HandlerOptions{})
	get := func(sum Hash) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/blobs/"+sum.String(), nil))
		return rec.Code
	}
	if code := get(Sum([]byte("random"))); code != http.StatusNotFound || asked.Load() != 0 {
		t.Fatalf("unreferenced: %d, peer asked %d times", code, asked.Load())
	}
	refs.add([]byte("wanted"))
	if code := get(Sum([]byte("wanted"))); code != http.StatusOK || asked.Load() != 1 {
		t.Fatalf("referenced: %d, peer asked %d times", code, asked.Load())
	}
}

// trickle yields one byte a read, a second apart on c.
type trickle struct{ c *clock }

func (t trickle) Read(p []byte) (int, error) {
	t.c.add(time.Second)
	p[0] = 'x'
	return 1, nil
}

// TestSlowUploadCut: an upload that averages less than the minimum rate
// after the warm-up is cut (408), so it cannot hold an upload slot.
func TestSlowUploadCut(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	u := &uploadReader{r: trickle{c}, rc: http.NewResponseController(httptest.NewRecorder()), minRate: 1000, now: c.now, start: c.now()}
	_, err := io.Copy(io.Discard, u)
	if !errors.Is(err, ErrTooSlow) || u.n < int64(uploadWarmup/time.Second) || u.n > int64(uploadWarmup/time.Second)+1 {
		t.Fatalf("after %d bytes: %v", u.n, err)
	}
	if putStatus(err) != http.StatusRequestTimeout {
		t.Fatalf("status %d", putStatus(err))
	}
	fast := &uploadReader{r: bytes.NewReader(make([]byte, 1<<20)), rc: http.NewResponseController(httptest.NewRecorder()), minRate: 1000, now: c.now, start: c.now()}
	if n, err := io.Copy(io.Discard, fast); err != nil || n != 1<<20 {
		t.Fatalf("a fast upload: %d %v", n, err)
	}
}

// TestClientQuota: one client's unreferenced blobs never pass its share,
// so a single address cannot fill the node's quota for everyone; its share
// frees when the chain references its blobs or they are collected.
func TestClientQuota(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	refs := &refSet{m: map[Hash]bool{}}
	s, err := OpenWith(t.TempDir(), Options{MaxSize: 1 << 20, Quota: 100, ClientQuota: 10, Grace: time.Hour, Referenced: refs.has, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutFrom(strings.NewReader("a-one!"), "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutFrom(strings.NewReader("a-two!"), "a"); !errors.Is(err, ErrQuota) {
		t.Fatalf("past a's share: %v", err)
	}
	if _, _, err := s.PutFrom(strings.NewReader("b-one!"), "b"); err != nil {
		t.Fatalf("b refused for a's uploads: %v", err)
	}
	refs.add([]byte("a-one!"))
	if _, err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutFrom(strings.NewReader("a-two!"), "a"); err != nil {
		t.Fatalf("a's share after its blob was referenced: %v", err)
	}
	c.add(2 * time.Hour)
	if st, _ := s.Sweep(); st.Collected != 2 {
		t.Fatalf("sweep: %+v", st)
	}
	if _, _, err := s.PutFrom(strings.NewReader("a-three"), "a"); err != nil {
		t.Fatalf("a's share after collection: %v", err)
	}
}
