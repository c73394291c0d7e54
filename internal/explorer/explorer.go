// Package explorer serves the block and workload explorer every node shows
// at / on its API listener: a single-page app (index.html, app.js,
// app.css) embedded in the binary, which reads the node's own JSON API
// (/v1, same origin) from the browser and draws its charts as inline SVG.
//
// Invariants:
//   - Nothing comes from outside the binary: the page loads only the three
//     embedded files and same-origin /v1 answers; no CDN, no build step.
//     The Content-Security-Policy the handler sends holds the browser to
//     that ('self' only, no inline script).
//   - Every value from the API enters the page as text: app.js builds the
//     DOM with createElement, Text nodes and setAttribute, never with
//     innerHTML or anything else that parses HTML (explorer_test.go checks
//     the source; internal/node's browser test renders a workload reason
//     and a program name holding <script> and finds them as text).
//   - The handler only reads: GET and HEAD, a fixed set of paths, and a
//     small HTML 404 for any other path.
package explorer

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

//go:embed assets
var files embed.FS

// asset is one file the handler serves.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// The assets, read once. index.html names app.js and app.css with their
// content hash as a query (?v=HASH), so a browser may keep those for a
// year: a node that serves other assets serves an index naming other URLs.
var (
	index   asset
	static  = map[string]asset{}
	version = map[string]string{} // path -> its content hash
)

func init() {
	for _, f := range []struct{ name, ctype string }{
		{"app.js", "text/javascript; charset=utf-8"},
		{"app.css", "text/css; charset=utf-8"},
	} {
		a := load(f.name, f.ctype)
		static["/"+f.name] = a
		version["/"+f.name] = a.etag
	}
	html := load("index.html", "text/html; charset=utf-8").body
	for path, v := range version {
		html = bytes.ReplaceAll(html, []byte(`"`+path+`"`), []byte(`"`+path+`?v=`+v+`"`))
	}
	index = newAsset(html, "text/html; charset=utf-8")
}

func load(name, ctype string) asset {
	b, err := files.ReadFile("assets/" + name)
	if err != nil {
		panic("explorer: embedded asset missing: " + name) // a build defect, not input
	}
	return newAsset(b, ctype)
}

func newAsset(b []byte, ctype string) asset {
	sum := sha256.Sum256(b)
	return asset{body: b, ctype: ctype, etag: hex.EncodeToString(sum[:6])}
}

// csp holds the page to this origin: its own script and style files, the
// API for fetch and EventSource, SVG drawn in the page, nothing inline.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the explorer: index.html for /, the assets by name, a
// small HTML page with status 404 for any other path, 405 for methods but
// GET and HEAD. Mount it beside the API (/v1/ goes to the API).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", csp)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			notFound(w, http.StatusMethodNotAllowed, "The explorer only answers GET.")
			return
		}
		a, cache, ok := lookup(r)
		if !ok {
			notFound(w, http.StatusNotFound, "There is no page at this address.")
			return
		}
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", cache)
		h.Set("ETag", `"`+a.etag+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

// lookup finds the asset for a request and its Cache-Control: the index
// and an asset asked for without its current hash are revalidated each
// time (ETag); an asset asked for by its hash never changes.
func lookup(r *http.Request) (asset, string, bool) {
	switch p := r.URL.Path; p {
	case "/", "/index.html":
		return index, "no-cache", true
	default:
		a, ok := static[p]
		if !ok {
			return asset{}, "", false
		}
		if r.URL.Query().Get("v") == version[p] {
			return a, "public, max-age=31536000, immutable", true
		}
		return a, "no-cache", true
	}
}

// notFound writes the small HTML page for a path or method the explorer
// does not serve.
func notFound(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(strings.Join([]string{
		`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>`, http.StatusText(code), ` - provernet</title>`,
		`<link rel="stylesheet" href="/app.css"></head><body><main class="page"><h1>`, http.StatusText(code), `</h1><p>`, msg,
		` The explorer is at <a href="/">/</a>; the API under <a href="/v1/openapi.json">/v1/</a>.</p></main></body></html>`,
	}, "")))
}
