package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/client/verify"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// provenChain is a devnet with an account, a prover and a workload to
// prove, and the height before the first of them.
type provenChain struct {
	c              *client.Client
	api            string
	user, prover   *client.Key
	workload       string
	deployHeight   int64 // the block that carried the user's first transaction
	root           verify.TrustRoot
	otherAccountPB []byte // the stored bytes of the prover's account, for a lie
}

func startProvenChain(t *testing.T) *provenChain {
	t.Helper()
	c, d := startRichNode(t)
	ctx := context.Background()
	pc := &provenChain{c: c, api: d.APIURL(), user: d.Keys[0], prover: d.Keys[1]}
	b, err := c.Block(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if pc.root, err = verify.ParseTrustRoot(2, b.Hash, 0); err != nil {
		t.Fatal(err)
	}
	pv, vf := sha256.Sum256([]byte("proof prover")), sha256.Sum256([]byte("proof verifier"))
	deploy, err := client.DeployMsg("proof-prog", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 1},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 1}, &wire.Hardware{CPUCores: 1, MemoryMB: 512})
	if err != nil {
		t.Fatal(err)
	}
	_, vrfPub, err := vrf.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pc.deployHeight = sendOK(t, c, pc.user, deploy).Height
	sendOK(t, c, pc.prover, client.RegisterProverMsg(vrfPub, wire.Hardware{CPUCores: 2, MemoryMB: 1024}, 2, ""), client.StakeMsg(1000*1_000_000))
	ident, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	userAddr, _ := address.Parse(pc.user.Address())
	pc.workload = hex.EncodeToString(wire.WorkloadID(userAddr, 1, 0))
	sendOK(t, c, pc.user, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: wire.ProgramID(pv[:], vf[:]), Cycles: 2_500_000,
		Provers: 1, Recipient: ident.Recipient().String(), Deadline: 200, Inputs: []*pb.Input{{Name: "in", Data: []byte("hi")}}}}})
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitHeight(c, st.Height+2); err != nil { // the Run's block has a header after it
		t.Fatal(err)
	}
	p, err := c.ProvenAccount(ctx, pc.prover.Address(), 0)
	if err != nil || !p.Exists {
		t.Fatalf("prover's account proof: %+v %v", p, err)
	}
	pc.otherAccountPB = p.Value
	return pc
}

func (pc *provenChain) verifier(t *testing.T, base string, root verify.TrustRoot) *verify.Verifier {
	t.Helper()
	v, err := verify.New(client.New(base), root)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifiedRecords verifies an account, a prover and a workload of a
// real node from a trust root, at the newest height and at older ones,
// the absence of unknown records, and that the verified records are what
// the node's own JSON says.
func TestVerifiedRecords(t *testing.T) {
	pc := startProvenChain(t)
	ctx := context.Background()
	v := pc.verifier(t, pc.api, pc.root)

	a, an, err := v.VerifiedAccount(ctx, pc.user.Address(), 0)
	if err != nil || !an.Exists || a.Nonce != 2 || a.Balance == 0 || a.Address != pc.user.Address() || a.Height != an.Height || an.Header.Height != an.Height+1 {
		t.Fatalf("verified account %+v %+v %v", a, an, err)
	}
	blk, err := pc.c.Block(ctx, an.Header.Height)
	if err != nil || !strings.EqualFold(blk.AppHash, hex.EncodeToString(an.Header.AppHash)) || !strings.EqualFold(blk.Hash, hex.EncodeToString(an.Header.Hash)) {
		t.Fatalf("anchor %+v is not block %+v (%v)", an.Header, blk, err)
	}
	// The same record the node's JSON shows at that height.
	var node wire.Account
	getJSON(t, pc.api+"/v1/accounts/"+pc.user.Address()+"?prove=true&height="+strconv.FormatInt(an.Height, 10), &node)
	if node != *a {
		t.Fatalf("node says %+v, verified %+v", node, *a)
	}

	// Older heights: before the user's first transaction, and the block
	// after the trust root (an adjacent header).
	if a, an, err := v.VerifiedAccount(ctx, pc.user.Address(), pc.deployHeight-1); err != nil || a.Nonce != 0 || an.Height != pc.deployHeight-1 {
		t.Fatalf("account before its first transaction: %+v %+v %v", a, an, err)
	}
	if a, _, err := v.VerifiedAccount(ctx, pc.user.Address(), pc.deployHeight); err != nil || a.Nonce != 1 {
		t.Fatalf("account after its first transaction: %+v %v", a, err)
	}
	if _, an, err := pc.verifier(t, pc.api, pc.root).VerifiedAccount(ctx, pc.user.Address(), pc.root.Height); err != nil || an.Header.Height != pc.root.Height+1 {
		t.Fatalf("account after the trust root: %+v %v", an, err)
	}

	p, _, err := v.VerifiedProver(ctx, pc.prover.Address(), 0)
	if err != nil || p.Address != pc.prover.Address() || p.State != wire.ProverActive || p.Stake != 1000*1_000_000 {
		t.Fatalf("verified prover %+v %v", p, err)
	}
	w, an, err := v.VerifiedWorkload(ctx, pc.workload, 0)
	if err != nil || w.ID != pc.workload || w.Owner != pc.user.Address() || w.K != 1 || w.Cycles != 2_500_000 || len(w.Inputs) != 1 || !w.Inputs[0].Inline {
		t.Fatalf("verified workload %+v %v", w, err)
	}
	var nodeW wire.Workload
	getJSON(t, pc.api+"/v1/workloads/"+pc.workload+"?prove=true&height="+strconv.FormatInt(an.Height, 10), &nodeW)
	if a, b := mustJSON(t, nodeW), mustJSON(t, *w); a != b {
		t.Fatalf("node says %s, verified %s", a, b)
	}

	// Absence, proven.
	nobody := address.Address{9, 9, 9}.String()
	if a, an, err := v.VerifiedAccount(ctx, nobody, 0); err != nil || an.Exists || a.Balance != 0 || a.Nonce != 0 {
		t.Fatalf("absent account %+v %+v %v", a, an, err)
	}
	if _, an, err := v.VerifiedProver(ctx, pc.user.Address(), 0); !errors.Is(err, verify.ErrAbsent) || !errors.Is(err, client.ErrNotFound) || an == nil || an.Exists {
		t.Fatalf("a non-prover: %+v %v, want proven absent", an, err)
	}
	if _, _, err := v.VerifiedWorkload(ctx, strings.Repeat("ab", 32), 0); !errors.Is(err, verify.ErrAbsent) {
		t.Fatalf("unknown workload: %v, want proven absent", err)
	}
}

// TestVerifyRejectsLies puts a lying proxy in front of a real node: each
// lie, in the value, the proof, the header or the validators, is rejected
// with the error of the part it broke; so is a wrong trust root.
func TestVerifyRejectsLies(t *testing.T) {
	pc := startProvenChain(t)
	ctx := context.Background()
	upstream, err := url.Parse(pc.api)
	if err != nil {
		t.Fatal(err)
	}
	type lie struct {
		name    string
		path    string // the lie applies to answers of paths with this prefix
		rewrite func(m map[string]any)
		query   func(q url.Values) // a lie in the request the proxy forwards
		want    error
	}
	proof := func(m map[string]any) map[string]any { return m["proof"].(map[string]any) }
	op := func(m map[string]any) map[string]any { return proof(m)["ops"].([]any)[0].(map[string]any) }
	header := func(m map[string]any) map[string]any {
		return m["signed_header"].(map[string]any)["header"].(map[string]any)
	}
	lies := []lie{
		{"value altered", "/v1/accounts/", func(m map[string]any) {
			v, _ := base64.StdEncoding.DecodeString(proof(m)["value"].(string))
			proof(m)["value"] = base64.StdEncoding.EncodeToString(append(v, 0x08, 0x01))
		}, nil, verify.ErrProof},
		{"value of another record", "/v1/accounts/", func(m map[string]any) {
			proof(m)["value"] = base64.StdEncoding.EncodeToString(pc.otherAccountPB)
		}, nil, verify.ErrProof},
		{"proof truncated", "/v1/accounts/", func(m map[string]any) {
			d, _ := base64.StdEncoding.DecodeString(op(m)["data"].(string))
			op(m)["data"] = base64.StdEncoding.EncodeToString(d[:len(d)/2])
		}, nil, verify.ErrProof},
		{"existing record claimed absent", "/v1/accounts/", func(m map[string]any) {
			proof(m)["exists"], proof(m)["value"] = false, nil
		}, nil, verify.ErrProof},
		{"proof of another key", "/v1/accounts/", nil, nil, verify.ErrProof}, // path rewritten below
		{"state of another height", "/v1/accounts/", nil, func(q url.Values) {
			h, _ := strconv.ParseInt(q.Get("height"), 10, 64)
			q.Set("height", strconv.FormatInt(h-1, 10))
		}, verify.ErrProof},
		{"header's app hash altered", "/v1/light/", func(m map[string]any) {
			header(m)["app_hash"] = strings.Repeat("AB", 32)
		}, nil, verify.ErrHeader},
		{"header re-signed over a forged app hash", "/v1/light/", func(m map[string]any) {
			b, _ := json.Marshal(m["signed_header"])
			var sh types.SignedHeader
			if err := cmtjson.Unmarshal(b, &sh); err != nil {
				panic(err)
			}
			sh.AppHash = bytes.Repeat([]byte{0xAB}, 32)
			sh.Commit.BlockID.Hash = sh.Header.Hash() // consistent, but the votes signed the real one
			b, _ = cmtjson.Marshal(sh)
			var v any
			_ = json.Unmarshal(b, &v)
			m["signed_header"] = v
		}, nil, verify.ErrHeader},
		{"validator's power altered", "/v1/light/", func(m map[string]any) {
			val := m["validator_set"].(map[string]any)["validators"].([]any)[0].(map[string]any)
			val["voting_power"] = "7"
		}, nil, verify.ErrHeader},
		{"commit signature altered", "/v1/light/", func(m map[string]any) {
			sig := m["signed_header"].(map[string]any)["commit"].(map[string]any)["signatures"].([]any)[0].(map[string]any)
			b, _ := base64.StdEncoding.DecodeString(sig["signature"].(string))
			b[0] ^= 1
			sig["signature"] = base64.StdEncoding.EncodeToString(b)
		}, nil, verify.ErrHeader},
	}
	for _, l := range lies {
		t.Run(l.name, func(t *testing.T) {
			proxy := httputil.NewSingleHostReverseProxy(upstream)
			director := proxy.Director
			proxy.Director = func(r *http.Request) {
				director(r)
				if !strings.HasPrefix(r.URL.Path, l.path) || r.URL.Query().Get("prove") != "true" {
					return
				}
				q := r.URL.Query()
				if l.query != nil {
					l.query(q)
				}
				r.URL.RawQuery = q.Encode()
				if l.name == "proof of another key" {
					r.URL.Path = "/v1/accounts/" + pc.prover.Address()
				}
			}
			proxy.ModifyResponse = func(resp *http.Response) error {
				if l.rewrite == nil || !strings.HasPrefix(resp.Request.URL.Path, l.path) || resp.StatusCode != http.StatusOK ||
					resp.Request.URL.Path == "/v1/light/"+strconv.FormatInt(pc.root.Height, 10) { // headers after the root lie
					return nil
				}
				if l.path == "/v1/accounts/" && resp.Request.URL.Query().Get("prove") != "true" {
					return nil
				}
				var m map[string]any
				if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
					return err
				}
				resp.Body.Close()
				l.rewrite(m)
				b, _ := json.Marshal(m)
				resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
				return nil
			}
			srv := httptest.NewServer(proxy)
			defer srv.Close()
			_, _, err := pc.verifier(t, srv.URL, pc.root).VerifiedAccount(ctx, pc.user.Address(), 0)
			if !errors.Is(err, l.want) {
				t.Fatalf("verification through the lie: %v, want %v", err, l.want)
			}
			t.Logf("rejected: %v", err)
		})
	}

	// The same proxy without a lie verifies (so each failure above is the
	// lie's): checked once.
	srv := httptest.NewServer(httputil.NewSingleHostReverseProxy(upstream))
	defer srv.Close()
	if _, _, err := pc.verifier(t, srv.URL, pc.root).VerifiedAccount(ctx, pc.user.Address(), 0); err != nil {
		t.Fatalf("through an honest proxy: %v", err)
	}

	// A wrong trust hash, and a trust root past its trusting period.
	wrong := pc.root
	wrong.Hash = bytes.Repeat([]byte{0xAB}, 32)
	if _, _, err := pc.verifier(t, pc.api, wrong).VerifiedAccount(ctx, pc.user.Address(), 0); !errors.Is(err, verify.ErrTrustRoot) {
		t.Fatalf("wrong trust hash: %v, want ErrTrustRoot", err)
	}
	old := pc.root
	old.Period = time.Nanosecond
	if _, _, err := pc.verifier(t, pc.api, old).VerifiedAccount(ctx, pc.user.Address(), 0); !errors.Is(err, verify.ErrTrustRoot) {
		t.Fatalf("expired trust root: %v, want ErrTrustRoot", err)
	}
}

// TestLightAndProofAnswers checks the API's own answers: parameters, the
// light block's fields and the 404 of an unknown prover with its proof.
func TestLightAndProofAnswers(t *testing.T) {
	api, d := startNode(t)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1/accounts/" + d.Keys[0].Address() + "?prove=maybe", http.StatusBadRequest},
		{"/v1/accounts/" + d.Keys[0].Address() + "?height=1", http.StatusBadRequest},
		{"/v1/accounts/" + d.Keys[0].Address() + "?prove=true&height=0", http.StatusBadRequest},
		{"/v1/accounts/" + d.Keys[0].Address() + "?prove=true&height=1", http.StatusOK},
		{"/v1/accounts/" + d.Keys[0].Address() + "?prove=true&height=99999", http.StatusServiceUnavailable},
		{"/v1/provers/" + d.Keys[0].Address() + "?prove=true", http.StatusNotFound},
		{"/v1/workloads/" + strings.Repeat("ab", 32) + "?prove=true", http.StatusNotFound},
		{"/v1/light/0", http.StatusBadRequest},
		{"/v1/light/x", http.StatusBadRequest},
		{"/v1/light/99999", http.StatusNotFound},
		{"/v1/light/1", http.StatusOK},
		{"/v1/light/latest", http.StatusOK},
	} {
		resp, err := http.Get(api + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || err != nil {
			t.Errorf("GET %s: %d %v (%v), want %d", tc.path, resp.StatusCode, body, err, tc.status)
			continue
		}
		if strings.Contains(tc.path, "prove=true") && tc.status != http.StatusBadRequest && tc.status != http.StatusServiceUnavailable {
			if p, _ := body["proof"].(map[string]any); p == nil || p["ops"] == nil {
				t.Errorf("GET %s: no proof in %v", tc.path, body)
			}
		}
	}
	c := client.New(api)
	lb, err := c.LightBlock(context.Background(), 1)
	if err != nil || lb.Height != 1 || len(lb.SignedHeader) == 0 || len(lb.ValidatorSet) == 0 {
		t.Fatalf("light block 1: %+v %v", lb, err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
