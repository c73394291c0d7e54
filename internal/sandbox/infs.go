package sandbox

import (
	"io/fs"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// inFS is the read-only /in mount: a host directory whose reads are
// charged per byte.
type inFS struct {
	experimentalsys.FS
	charge func(n int)
}

func newInFS(dir string, charge func(int)) *inFS {
	return &inFS{FS: &sysfs.ReadFS{FS: sysfs.DirFS(dir)}, charge: charge}
}

func (i *inFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	f, errno := i.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	return &inFile{File: f, charge: i.charge}, 0
}

type inFile struct {
	experimentalsys.File
	charge func(n int)
}

func (f *inFile) Read(p []byte) (int, experimentalsys.Errno) {
	n, errno := f.File.Read(p)
	f.charge(n)
	return n, errno
}

func (f *inFile) Pread(p []byte, off int64) (int, experimentalsys.Errno) {
	n, errno := f.File.Pread(p, off)
	f.charge(n)
	return n, errno
}
