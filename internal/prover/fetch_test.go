package prover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// TestFetchInputs: inline inputs come from the workload, blob inputs from
// the node (checked and cached by hash), in the Run's order; a blob no
// store has is errInputMissing (waited for, then answered with fail), and
// bytes with another hash are refused. What is fetched stages through
// sandbox.StageInputs as the worker sees it.
func TestFetchInputs(t *testing.T) {
	good, bad := []byte("blob input"), []byte("the node's other bytes")
	goodSum, badSum, missingSum := sha256.Sum256(good), sha256.Sum256(bad), sha256.Sum256([]byte("never uploaded"))
	served := 0
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/v1/blobs/") {
		case hex.EncodeToString(goodSum[:]):
			served++
			_, _ = rw.Write(good)
		case hex.EncodeToString(badSum[:]):
			_, _ = rw.Write([]byte("not what was named"))
		default:
			http.NotFound(rw, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	f := &fetcher{api: client.New(srv.URL), dir: dir}
	ctx := context.Background()

	w := &pb.Workload{Inputs: []*pb.Input{
		{Name: "a.json", Data: []byte("inline")},
		{Name: "b.bin", Sha256: goodSum[:], Size: uint64(len(good))},
	}}
	for range 2 { // the second time from the cache
		files, err := f.inputs(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || files[0].Name != "a.json" || string(files[0].Data) != "inline" || files[1].Name != "b.bin" || string(files[1].Data) != string(good) {
			t.Fatalf("inputs %+v", files)
		}
		in := t.TempDir()
		names, err := sandbox.StageInputs(in, files, []byte("proof bytes"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, []string{"a.json", "b.bin", "proof"}) {
			t.Fatalf("staged %v", names)
		}
		if b, err := os.ReadFile(filepath.Join(in, "b.bin")); err != nil || string(b) != string(good) {
			t.Fatalf("staged blob: %q, %v", b, err)
		}
	}
	if served != 1 {
		t.Fatalf("the node served the blob %d times; the cache should answer the second", served)
	}

	_, err := f.inputs(ctx, &pb.Workload{Inputs: []*pb.Input{{Name: "late", Sha256: missingSum[:], Size: 1}}})
	if !errors.Is(err, errInputMissing) {
		t.Fatalf("a blob nobody has: %v, want errInputMissing", err)
	}
	_, err = f.inputs(ctx, &pb.Workload{Inputs: []*pb.Input{{Name: "x", Sha256: badSum[:], Size: 1}}})
	if err == nil || errors.Is(err, errInputMissing) {
		t.Fatalf("bytes with another hash: %v, want a refusal that is not errInputMissing", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", hex.EncodeToString(badSum[:]))); !os.IsNotExist(err) {
		t.Fatalf("bytes with another hash were cached: %v", err)
	}
}
