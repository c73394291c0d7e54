package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite openapi.json's schemas from the wire types")

// schemaTypes are the API's answers by the name openapi.json gives their
// schema: each schema's properties are the type's JSON fields, as
// TestOpenAPISchemasMatchWire checks (go test -update-openapi writes them).
var schemaTypes = map[string]reflect.Type{}

func init() {
	for name, v := range map[string]any{
		"Status": wire.Status{}, "Account": wire.Account{}, "Supply": wire.Supply{}, "Error": wire.APIError{},
		"BroadcastResult": wire.BroadcastResult{}, "TxResult": wire.TxResult{}, "Event": wire.Event{},
		"StreamEvent": wire.StreamEvent{}, "Beacon": wire.Beacon{}, "Block": wire.Block{}, "Params": wire.Params{},
		"Program": wire.Program{}, "Module": wire.Module{}, "Hardware": wire.Hardware{}, "GPU": wire.GPU{},
		"Prover": wire.Prover{}, "Workload": wire.Workload{}, "Input": wire.Input{}, "Slot": wire.Slot{},
		"FeeQuote": wire.FeeQuote{}, "Allocation": wire.Allocation{}, "AllocationDraw": wire.AllocationDraw{},
		"AllocationProver": wire.AllocationProver{}, "AllocationSlot": wire.AllocationSlot{},
		"PendingResult": wire.PendingResult{}, "WorkloadPage": wire.WorkloadPage{}, "ProverPage": wire.ProverPage{},
		"ProgramPage": wire.ProgramPage{}, "Timeline": wire.Timeline{}, "TimelineEntry": wire.TimelineEntry{},
		"ProverHistory": wire.ProverHistory{}, "HistoryEntry": wire.HistoryEntry{}, "Proof": wire.Proof{},
		"ProofOp": wire.ProofOp{}, "Tree": wire.Tree{}, "TreeNode": wire.TreeNode{}, "TreeProof": wire.TreeProof{},
		"Ask": wire.Ask{}, "AskPage": wire.AskPage{}, "Market": wire.Market{}, "ClearingPrice": wire.ClearingPrice{}, // issue 17
		"Reputation": wire.Reputation{}, "MarketOrder": wire.MarketOrder{}, "AskMiss": wire.AskMiss{},
		"MarketMatch": wire.MarketMatch{}, "MatchCandidate": wire.MatchCandidate{},
		"Validator": wire.Validator{}, "ValidatorPage": wire.ValidatorPage{}, // issue 19
		"PoolView": wire.PoolView{}, "Pool": wire.Pool{}, "PoolEntry": wire.PoolEntry{}, "PoolDraw": wire.PoolDraw{},
	} {
		schemaTypes[name] = reflect.TypeOf(v)
	}
}

// routeSchemas name the schema of each JSON answer that is a wire type
// ("[]X": an array of X).
var routeSchemas = map[string]string{
	"GET /v1/beacon": "Beacon", "GET /v1/beacon/{height}": "Beacon", "GET /v1/blocks/{height}": "Block",
	"GET /v1/params": "Params", "GET /v1/programs": "ProgramPage", "GET /v1/provers": "ProverPage",
	"GET /v1/workloads": "WorkloadPage", "GET /v1/workloads/{id}/allocation": "Allocation",
	"GET /v1/workloads/{id}/pending": "[]PendingResult", "GET /v1/fee": "FeeQuote",
	"GET /v1/status": "Status", "GET /v1/accounts/{address}": "Account", "GET /v1/supply": "Supply",
	"GET /v1/programs/{id}": "Program", "GET /v1/provers/{address}": "Prover", "GET /v1/workloads/{id}": "Workload",
	"GET /v1/workloads/{id}/timeline": "Timeline", "GET /v1/provers/{address}/history": "ProverHistory",
	"GET /v1/txs/{hash}": "TxResult", "POST /v1/txs": "BroadcastResult", "GET /v1/trees/{id}": "Tree",
	"GET /v1/asks": "AskPage", "GET /v1/market": "Market", "GET /v1/pool": "PoolView", // issue 17
	"GET /v1/validators": "ValidatorPage", // issue 19
}

// schemaOf is t's schema: an object of its JSON fields, a named wire
// type by reference.
func schemaOf(t reflect.Type, top bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !top {
		for name, st := range schemaTypes {
			if st == t {
				return map[string]any{"$ref": "#/components/schemas/" + name}
			}
		}
	}
	switch {
	case t == reflect.TypeOf(time.Time{}):
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(json.RawMessage{}):
		return map[string]any{}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), false)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), false)}
	case reflect.Struct:
		props, required := map[string]any{}, []any{}
		addFields(t, props, &required)
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

// addFields adds t's JSON fields (embedded structs' inline).
func addFields(t reflect.Type, props map[string]any, required *[]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			switch {
			case f.Type.Kind() == reflect.Struct:
				addFields(f.Type, props, required)
				continue
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				var none []any // a nil embedded pointer leaves its fields out
				addFields(f.Type.Elem(), props, &none)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, false)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

// withDescriptions copies old's descriptions (the schema's and its
// properties') into s.
func withDescriptions(s, old map[string]any) map[string]any {
	if d, ok := old["description"]; ok {
		s["description"] = d
	}
	oldProps, _ := old["properties"].(map[string]any)
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		op, _ := oldProps[name].(map[string]any)
		if d, ok := op["description"]; ok {
			p.(map[string]any)["description"] = d
		}
	}
	return s
}

// shape drops descriptions, so that schemas compare by structure.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k != "description" {
				out[k] = shape(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = shape(x)
		}
		slices.SortFunc(out, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return bytes.Compare(ja, jb)
		})
		return out
	}
	return v
}

func answerSchema(name string) map[string]any {
	if item, ok := strings.CutPrefix(name, "[]"); ok {
		return map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/" + item}}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// TestOpenAPISchemasMatchWire: every wire type the API answers with has a
// schema in openapi.json whose properties, types and required fields are
// the type's JSON fields, and each route's answer refers to it; a field
// added to a wire type and not to the document fails here.
func TestOpenAPISchemasMatchWire(t *testing.T) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openapiDoc))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// Round-trip through JSON so numbers compare alike.
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		_ = d.Decode(&out)
		return out
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	paths := doc["paths"].(map[string]any)
	for name, typ := range schemaTypes {
		old, _ := schemas[name].(map[string]any)
		want := norm(schemaOf(typ, true)).(map[string]any)
		if *updateOpenAPI {
			schemas[name] = withDescriptions(want, old)
			continue
		}
		if !reflect.DeepEqual(shape(norm(old)), shape(want)) {
			got, _ := json.Marshal(shape(norm(old)))
			exp, _ := json.Marshal(shape(want))
			t.Errorf("schema %s does not match wire.%s (go test ./internal/httpapi -run OpenAPISchemas -update-openapi):\n got %s\nwant %s", name, typ.Name(), got, exp)
		}
	}
	for route, name := range routeSchemas {
		method, path, _ := strings.Cut(route, " ")
		op, _ := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		resp, _ := op["responses"].(map[string]any)["200"].(map[string]any)
		content, _ := resp["content"].(map[string]any)["application/json"].(map[string]any)
		if content == nil {
			t.Errorf("%s: no application/json answer in openapi.json", route)
			continue
		}
		want := norm(answerSchema(name))
		if *updateOpenAPI {
			content["schema"] = want
			continue
		}
		if !reflect.DeepEqual(shape(norm(content["schema"])), shape(want)) {
			t.Errorf("%s answers %v in openapi.json, want a reference to %s", route, content["schema"], name)
		}
	}
	if *updateOpenAPI {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("openapi.json", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
