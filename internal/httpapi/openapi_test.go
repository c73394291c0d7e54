package httpapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openapiRoutes reads the document's "METHOD path" pairs.
func openapiRoutes(t testing.TB) map[string]map[string]any {
	t.Helper()
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	out := map[string]map[string]any{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

// TestOpenAPIMatchesRoutes: the OpenAPI document lists exactly the routes
// the API and the node register, and names every path parameter.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := openapiRoutes(t)
	want := slices.Clone(NodeRoutes)
	for _, r := range routes {
		want = append(want, r.pattern)
	}
	for _, r := range want {
		if _, ok := doc[r]; !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	braces := regexp.MustCompile(`\{([a-z0-9]+)\}`)
	for r, op := range doc {
		if !slices.Contains(want, r) {
			t.Errorf("openapi.json lists %s, which nothing serves", r)
		}
		params, _ := op["parameters"].([]any)
		for _, m := range braces.FindAllStringSubmatch(r, -1) {
			found := false
			for _, p := range params {
				p, _ := p.(map[string]any)
				found = found || (p["name"] == m[1] && p["in"] == "path")
			}
			if !found {
				t.Errorf("%s: path parameter %s is not described", r, m[1])
			}
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("%s has no responses", r)
		}
	}
}
