package httpapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
)

// openapiDoc is the API's OpenAPI 3.1 document, checked in beside the
// routes it describes (TestOpenAPIMatchesRoutes holds the two together).
//
//go:embed openapi.json
var openapiDoc []byte

func (s *server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
}

// NodeRoutes are the endpoints the node serves beside this package's
// (internal/node: the blob store and the metrics); the OpenAPI document
// lists them too.
var NodeRoutes = []string{"PUT /v1/blobs", "GET /v1/blobs/{sha256}", "GET /metrics"}

// DocumentedGETs are the document's GET paths, what the node's test calls.
func DocumentedGETs() []string {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if json.Unmarshal(openapiDoc, &doc) != nil {
		return nil
	}
	var out []string
	for path, ops := range doc.Paths {
		if _, ok := ops["get"]; ok {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}
