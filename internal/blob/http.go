package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PutResult is the answer to PUT /v1/blobs.
type PutResult struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Limits bound what uploads may cost a node, per client and in all.
type Limits struct {
	// Requests charges one token per upload, per client (nil: no limit).
	Requests *Limiter
	// Bytes charges one token per byte uploaded, per client (nil: none).
	Bytes *Limiter
	// MaxUploads bounds the uploads in flight at once (0: 8), and so the
	// temporary disk and hashing they use; PerClient bounds one client's
	// (0: 2).
	MaxUploads, PerClient int
	// MinRate is the slowest average (bytes a second) an upload may keep
	// after its first 10 s; 0 means none. Any read also waits at most 30 s.
	MinRate float64
}

// HandlerOptions configure the blob endpoints.
type HandlerOptions struct {
	Limits Limits
	// UploadsAt, if set, is the base URL of the listener that takes
	// uploads: a PUT here is redirected there (307, which clients follow
	// with the body), and only downloads are served here.
	UploadsAt string
}

// Handler serves PUT /v1/blobs and GET|HEAD /v1/blobs/{sha256} with no
// limits beyond the store's. A GET of a blob the node lacks is answered
// from its peers, if it has a Fetcher.
func Handler(s *Store, f *Fetcher) http.Handler { return NewHandler(s, f, HandlerOptions{}) }

// NewHandler serves the blob endpoints with limits. A GET of a blob the
// node lacks is answered from its peers only if the chain references it.
func NewHandler(s *Store, f *Fetcher, o HandlerOptions) http.Handler {
	if o.Limits.MaxUploads <= 0 {
		o.Limits.MaxUploads = 8
	}
	if o.Limits.PerClient <= 0 {
		o.Limits.PerClient = 2
	}
	h := &handler{s: s, f: f, o: o, slots: make(chan struct{}, o.Limits.MaxUploads), inflight: make(map[string]int)}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/blobs", h.put)
	mux.HandleFunc("GET /v1/blobs/{sha256}", h.get)
	return mux
}

type handler struct {
	s     *Store
	f     *Fetcher
	o     HandlerOptions
	slots chan struct{}

	mu       sync.Mutex
	inflight map[string]int
}

func (h *handler) put(w http.ResponseWriter, r *http.Request) {
	if h.o.UploadsAt != "" {
		http.Redirect(w, r, strings.TrimRight(h.o.UploadsAt, "/")+"/v1/blobs", http.StatusTemporaryRedirect)
		return
	}
	if r.ContentLength > h.s.max {
		writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("blob of %d bytes; the limit is %d", r.ContentLength, h.s.max))
		return
	}
	client := ClientOf(r)
	release, ok := h.admit(w, client)
	if !ok {
		return
	}
	defer release()
	body := &uploadReader{r: http.MaxBytesReader(w, r.Body, h.s.max+1), rc: http.NewResponseController(w),
		minRate: h.o.Limits.MinRate, now: time.Now}
	body.start = body.now()
	sum, n, err := h.s.PutFrom(body, client)
	h.o.Limits.Bytes.Charge(client, float64(body.n))
	if err != nil {
		writeErr(w, putStatus(err), err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(PutResult{SHA256: sum.String(), Size: n})
}

// admit takes an upload slot for client if its rate limits and the slots
// allow, writing the refusal itself.
func (h *handler) admit(w http.ResponseWriter, client string) (release func(), ok bool) {
	l := h.o.Limits
	if !l.Bytes.Allow(client, 0) || !l.Requests.Allow(client, 1) {
		retry := max(l.Bytes.RetryAfter(client, 0), l.Requests.RetryAfter(client, 1), time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds()+0.5)))
		writeErr(w, http.StatusTooManyRequests, "too many uploads from "+client+"; retry later")
		return nil, false
	}
	h.mu.Lock()
	if h.inflight[client] >= l.PerClient {
		h.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		writeErr(w, http.StatusTooManyRequests, fmt.Sprintf("%s already has %d uploads in flight", client, l.PerClient))
		return nil, false
	}
	select {
	case h.slots <- struct{}{}:
	default:
		h.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		writeErr(w, http.StatusServiceUnavailable, "the node is taking as many uploads as it can; retry in a moment")
		return nil, false
	}
	h.inflight[client]++
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		if h.inflight[client]--; h.inflight[client] <= 0 {
			delete(h.inflight, client)
		}
		h.mu.Unlock()
		<-h.slots
	}, true
}

// putStatus is the HTTP status of a failed upload.
func putStatus(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge), errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrQuota):
		return http.StatusInsufficientStorage
	case errors.Is(err, ErrTooSlow), errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrHashMismatch):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	sum, err := ParseHash(r.PathValue("sha256"))
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if !h.s.Has(sum) && h.f != nil && r.Header.Get(hopHeader) == "" && h.s.referenced(sum) {
		_ = h.f.Fetch(r.Context(), sum) // a miss falls through to 404 below
	}
	file, err := h.s.Open(sum)
	if err != nil {
		writeErr(w, http.StatusNotFound, err.Error())
		return
	}
	defer file.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, file)
}

// Upload pacing: a read may wait at most uploadIdle for bytes, and after
// the first uploadWarmup an upload must have averaged Limits.MinRate, so a
// client that trickles its body cannot hold an upload slot for long.
const (
	uploadIdle   = 30 * time.Second
	uploadWarmup = 10 * time.Second
)

// ErrTooSlow is an upload cut for sending too slowly.
var ErrTooSlow = errors.New("upload too slow")

// uploadReader counts an upload's bytes and enforces its pacing.
type uploadReader struct {
	r       io.Reader
	rc      *http.ResponseController
	minRate float64 // bytes a second; 0: no minimum
	now     func() time.Time
	start   time.Time
	n       int64
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if elapsed := u.now().Sub(u.start); u.minRate > 0 && elapsed > uploadWarmup && float64(u.n) < u.minRate*elapsed.Seconds() {
		return 0, fmt.Errorf("%w: %d bytes in %v; the minimum is %.0f bytes a second", ErrTooSlow, u.n, elapsed.Round(time.Second), u.minRate)
	}
	_ = u.rc.SetReadDeadline(u.now().Add(uploadIdle)) // unsupported (tests' recorders): no deadline
	n, err := u.r.Read(p)
	u.n += int64(n)
	return n, err
}

// hopHeader marks a peer's fetch, so that a node never asks its own peers
// on behalf of another node (no fetch storms, no loops).
const hopHeader = "X-Provernet-Blob-Fetch"

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Fetcher fills a store's misses from peers' blob endpoints.
type Fetcher struct {
	Store  *Store
	Peers  func() []string // base URLs, e.g. http://10.0.0.2:1317
	Client *http.Client
}

// Fetch makes blob h local, trying each peer in turn; every download is
// checked against h before it is kept.
func (f *Fetcher) Fetch(ctx context.Context, h Hash) error {
	if f.Store.Has(h) {
		return nil
	}
	var errs []error
	for _, peer := range f.Peers() {
		err := f.fetchFrom(ctx, strings.TrimRight(peer, "/"), h)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", peer, err))
	}
	if len(errs) == 0 {
		return fmt.Errorf("%w: %s (no peers to ask)", ErrNotFound, h)
	}
	return fmt.Errorf("%w: %s: %w", ErrNotFound, h, errors.Join(errs...))
}

func (f *Fetcher) fetchFrom(ctx context.Context, peer string, h Hash) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peer+"/v1/blobs/"+h.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set(hopHeader, "1")
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if n, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); n > f.Store.max {
		return fmt.Errorf("%w: peer offers %d bytes", ErrTooLarge, n)
	}
	_, err = f.Store.PutExpect(resp.Body, h)
	return err
}
