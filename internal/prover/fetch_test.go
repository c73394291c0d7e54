package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
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
// bytes with another hash are refused. A blob input comes as the path of
// its cached file (never read here); what is fetched stages through
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
		if len(files) != 2 || files[0].Name != "a.json" || string(files[0].Data) != "inline" || files[0].Path != "" {
			t.Fatalf("inline input %+v", files)
		}
		// A blob input comes as its cached file, not read into memory.
		if files[1].Name != "b.bin" || files[1].Data != nil || files[1].Path == "" {
			t.Fatalf("blob input %+v: want its cached file's path and no data", files[1])
		}
		if b, err := os.ReadFile(files[1].Path); err != nil || string(b) != string(good) {
			t.Fatalf("the blob input's file holds %q (%v)", b, err)
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

// TestFetchInputsDoNotHoldBlobs: a Run may name one big blob under every
// one of its input names; fetching and staging them allocates far less
// than one copy of it (the blob is linked or streamed from the cache),
// where reading each input whole allocated it once per name.
func TestFetchInputsDoNotHoldBlobs(t *testing.T) {
	const size, names = 4 << 20, 16
	blob := bytes.Repeat([]byte{7}, size)
	sum := sha256.Sum256(blob)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { _, _ = rw.Write(blob) }))
	defer srv.Close()
	f := &fetcher{api: client.New(srv.URL), dir: t.TempDir()}
	ctx := context.Background()
	w := &pb.Workload{}
	for i := range names {
		w.Inputs = append(w.Inputs, &pb.Input{Name: fmt.Sprintf("in%d", i), Sha256: sum[:], Size: size})
	}
	if _, err := f.blob(ctx, sum[:], ""); err != nil { // the cache holds it: what follows is staging only
		t.Fatal(err)
	}
	dir := t.TempDir()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	files, err := f.inputs(ctx, w)
	if err == nil {
		_, err = sandbox.StageInputs(dir, files, nil)
	}
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got >= size {
		t.Fatalf("fetching and staging %d inputs of one %d MiB blob allocated %d MiB; want less than one copy", names, size>>20, got>>20)
	}
	for i := range names {
		if fi, err := os.Stat(filepath.Join(dir, fmt.Sprintf("in%d", i))); err != nil || fi.Size() != size {
			t.Fatalf("input %d staged: %v, %v", i, fi, err)
		}
	}
}
