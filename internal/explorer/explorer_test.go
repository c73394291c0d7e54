package explorer

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, r)
	return w
}

// assetURLs are the script and style sheet the index page loads.
func assetURLs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile(`<(?:script src|link rel="stylesheet" href)="([^"]+)"`).FindAllStringSubmatch(get(t, "GET", "/").Body.String(), -1) {
		out = append(out, m[1])
	}
	if len(out) != 2 {
		t.Fatalf("the index names %d files (%q), want app.js and app.css", len(out), out)
	}
	return out
}

// TestServesIndex: / and /index.html are the app's page, revalidated on
// each load, under the same-origin Content-Security-Policy.
func TestServesIndex(t *testing.T) {
	for _, path := range []string{"/", "/index.html"} {
		w := get(t, "GET", path)
		body := w.Body.String()
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, `id="main"`) {
			t.Fatalf("GET %s: %d %q", path, w.Code, w.Header().Get("Content-Type"))
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
}

// TestServesAssets: the files the index names come with their content
// types, cached for good under their hash and revalidated without it.
func TestServesAssets(t *testing.T) {
	types := map[string]string{"/app.js": "text/javascript; charset=utf-8", "/app.css": "text/css; charset=utf-8"}
	for _, u := range assetURLs(t) {
		path, v, ok := strings.Cut(u, "?v=")
		if !ok || types[path] == "" || v == "" {
			t.Fatalf("the index names %q, want /app.js or /app.css with ?v=HASH", u)
		}
		w := get(t, "GET", u)
		if w.Code != 200 || w.Header().Get("Content-Type") != types[path] || w.Body.Len() == 0 {
			t.Fatalf("GET %s: %d %q, %d bytes", u, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable", u, cc)
		}
		for _, stale := range []string{path, path + "?v=0000"} {
			if cc := get(t, "GET", stale).Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache", stale, cc)
			}
		}
		if w2 := get(t, "GET", u, "If-None-Match", w.Header().Get("ETag")); w2.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", u, w2.Code)
		}
		if w2 := get(t, "HEAD", u); w2.Code != 200 || w2.Body.Len() != 0 || w2.Header().Get("Content-Type") != types[path] {
			t.Errorf("HEAD %s: %d, %d bytes", u, w2.Code, w2.Body.Len())
		}
	}
}

// TestUnknownPaths: anything else is a small HTML 404; other methods 405.
func TestUnknownPaths(t *testing.T) {
	for _, path := range []string{"/nope", "/app.js/x", "/v1", "/favicon.ico", "/assets/app.js", "/index.html/"} {
		w := get(t, "GET", path)
		if w.Code != 404 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(w.Body.String(), "Not Found") || w.Body.Len() > 1024 {
			t.Errorf("GET %s: %d %q %q", path, w.Code, w.Header().Get("Content-Type"), w.Body.String())
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if w := get(t, m, "/"); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
}

// assetText is every file the explorer serves, by name.
func assetText(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"index.html": get(t, "GET", "/").Body.String()}
	for _, u := range assetURLs(t) {
		out[u] = get(t, "GET", u).Body.String()
	}
	return out
}

func appJS(t *testing.T) string {
	t.Helper()
	for name, text := range assetText(t) {
		if strings.HasPrefix(name, "/app.js?") {
			return text
		}
	}
	t.Fatal("the index does not load app.js")
	return ""
}

// TestAssetsSameOrigin: nothing names another origin. The only absolute
// URL is the SVG namespace, a name createElementNS needs, never fetched;
// every URL the page loads or calls is a path on this node.
func TestAssetsSameOrigin(t *testing.T) {
	abs := regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp|data|blob):|//[a-z0-9-]+\.[a-z0-9.-]+`)
	for name, text := range assetText(t) {
		for _, m := range abs.FindAllString(strings.ReplaceAll(text, "'http://www.w3.org/2000/svg'", ""), -1) {
			t.Errorf("%s names another origin: %q", name, m)
		}
		if strings.Contains(text, "@import") || strings.Contains(text, "url(") {
			t.Errorf("%s loads a style resource", name)
		}
	}
	js := appJS(t)
	calls := regexp.MustCompile(`(?:^|[^.\w])(?:api|all|EventSource|fetch)\(\s*(?:'([^']*)'|([a-z]+))`).FindAllStringSubmatch(js, -1)
	if len(calls) < 10 {
		t.Fatalf("found %d API calls in app.js; the pattern no longer matches how it calls", len(calls))
	}
	for _, m := range calls {
		if m[1] != "" && !strings.HasPrefix(m[1], "/v1/") {
			t.Errorf("app.js calls %q, not an API path", m[1])
		}
		if m[2] != "" && m[2] != "path" {
			t.Errorf("app.js calls a URL held in %q", m[2])
		}
	}
}

// TestNoHTMLFromData: app.js builds the page from text only; none of the
// DOM's HTML parsers or code evaluators appears in it.
func TestNoHTMLFromData(t *testing.T) {
	js := appJS(t)
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment",
		"DOMParser", "eval(", "Function(", "srcdoc", "javascript:", "setTimeout('", "setInterval("} {
		if strings.Contains(js, banned) {
			t.Errorf("app.js uses %s", banned)
		}
	}
}

// TestAssetsSmall: the whole explorer stays well under 100 KB.
func TestAssetsSmall(t *testing.T) {
	total := 0
	for _, text := range assetText(t) {
		total += len(text)
	}
	if total > 80<<10 {
		t.Fatalf("the explorer's files are %d bytes, over 80 KiB", total)
	}
	t.Logf("assets: %d bytes", total)
}
