package prover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// fetcher brings a workload's module and inputs to local files: inline
// inputs from the workload itself, everything else from the node's blob
// API, checked against its hash and cached by hash under dir/blobs.
type fetcher struct {
	api *client.Client
	dir string
}

// blob returns the path of the blob with hash sum, fetching it if needed.
func (f *fetcher) blob(ctx context.Context, sum []byte, ext string) (string, error) {
	name := hex.EncodeToString(sum)
	p := filepath.Join(f.dir, "blobs", name+ext)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	b, err := f.api.GetBlob(ctx, name)
	if err != nil {
		return "", fmt.Errorf("failed to fetch blob %s: %w", name, err)
	}
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != name {
		return "", fmt.Errorf("blob %s: the node served bytes with another hash", name)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	// A unique temporary name: proving and verifying goroutines may fetch
	// the same blob at once; the rename makes either copy the final one.
	tmp, err := os.CreateTemp(filepath.Dir(p), name+".*.tmp")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return p, os.Rename(tmp.Name(), p)
}

// module returns the path of a program module.
func (f *fetcher) module(ctx context.Context, m *pb.Module) (string, error) {
	if m == nil {
		return "", errors.New("the program has no such module")
	}
	return f.blob(ctx, m.Sha256, ".wasm")
}

// errInputMissing marks an input blob that neither the node nor its peers
// have: the user's upload has not arrived (yet).
var errInputMissing = errors.New("an input of the Run is not in any blob store")

// inputs brings w's inputs, in order: inline ones from the workload (at
// most max_inline_input each), the others as the paths of their files in
// the blob cache, never read here: sandbox.StageInputs links or streams
// them, so a Run naming one big blob under every input name costs disk
// links, not memory. A blob that no store has yet is errInputMissing.
func (f *fetcher) inputs(ctx context.Context, w *pb.Workload) ([]sandbox.File, error) {
	files := make([]sandbox.File, 0, len(w.Inputs))
	for _, in := range w.Inputs {
		if len(in.Sha256) == 0 {
			files = append(files, sandbox.File{Name: in.Name, Data: in.Data})
			continue
		}
		p, err := f.blob(ctx, in.Sha256, "")
		if err != nil {
			if errors.Is(err, client.ErrNotFound) {
				err = fmt.Errorf("%w: input %s: %w", errInputMissing, in.Name, err)
			}
			return nil, err
		}
		files = append(files, sandbox.File{Name: in.Name, Path: p})
	}
	return files, nil
}
