package blob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PutResult is the answer to PUT /v1/blobs.
type PutResult struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Handler serves PUT /v1/blobs and GET|HEAD /v1/blobs/{sha256}. A GET of a
// blob the node lacks is answered from its peers, if it has a Fetcher.
func Handler(s *Store, f *Fetcher) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/blobs", func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.max {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("blob of %d bytes; the limit is %d", r.ContentLength, s.max))
			return
		}
		h, n, err := s.Put(r.Body)
		if errors.Is(err, ErrTooLarge) {
			writeErr(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		if err != nil {
			writeErr(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(PutResult{SHA256: h.String(), Size: n})
	})
	mux.HandleFunc("GET /v1/blobs/{sha256}", func(w http.ResponseWriter, r *http.Request) {
		h, err := ParseHash(r.PathValue("sha256"))
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		if !s.Has(h) && f != nil && r.Header.Get(hopHeader) == "" {
			_ = f.Fetch(r.Context(), h) // a miss falls through to 404 below
		}
		file, err := s.Open(h)
		if err != nil {
			writeErr(w, http.StatusNotFound, err.Error())
			return
		}
		defer file.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, file)
	})
	return mux
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
