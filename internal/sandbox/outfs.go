package sandbox

import (
	"io/fs"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// proofName is the one file a program may create, at /out/proof.
const proofName = "proof"

// outFS is the program's only writable file system: a directory holding at
// most one file, "proof", kept in memory and capped at max bytes. Writes
// past the cap fail with EIO and mark the run as over the output limit.
type outFS struct {
	experimentalsys.UnimplementedFS
	max     int64
	data    []byte
	exists  bool
	tooBig  bool
	onWrite func(n int) // charges cycles per byte written
}

var _ experimentalsys.FS = (*outFS)(nil)

func (o *outFS) OpenFile(path string, flag experimentalsys.Oflag, _ fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	switch path {
	case ".", "":
		return &outDir{fs: o}, 0
	case proofName:
		if !o.exists && flag&experimentalsys.O_CREAT == 0 {
			return nil, experimentalsys.ENOENT
		}
		if o.exists && flag&experimentalsys.O_EXCL != 0 {
			return nil, experimentalsys.EEXIST
		}
		o.exists = true
		if flag&experimentalsys.O_TRUNC != 0 {
			o.data = o.data[:0]
		}
		return &outFile{fs: o, append: flag&experimentalsys.O_APPEND != 0}, 0
	default:
		return nil, experimentalsys.EACCES // only /out/proof may be created
	}
}

func (o *outFS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	switch path {
	case ".", "":
		return sys.Stat_t{Mode: fs.ModeDir | 0o700, Nlink: 1}, 0
	case proofName:
		if o.exists {
			return sys.Stat_t{Mode: 0o600, Nlink: 1, Size: int64(len(o.data))}, 0
		}
	}
	return sys.Stat_t{}, experimentalsys.ENOENT
}

func (o *outFS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) { return o.Stat(path) }

func (o *outFS) Unlink(path string) experimentalsys.Errno {
	if path != proofName || !o.exists {
		return experimentalsys.ENOENT
	}
	o.exists, o.data = false, nil
	return 0
}

// outDir is /out itself.
type outDir struct {
	experimentalsys.UnimplementedFile
	fs   *outFS
	read bool
}

func (d *outDir) IsDir() (bool, experimentalsys.Errno) { return true, 0 }

func (d *outDir) Stat() (sys.Stat_t, experimentalsys.Errno) { return d.fs.Stat(".") }

func (d *outDir) Readdir(int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if d.read || !d.fs.exists {
		return nil, 0
	}
	d.read = true
	return []experimentalsys.Dirent{{Name: proofName, Type: 0}}, 0
}

// outFile is an open /out/proof. It does not seek (the inherited Seek
// answers ENOSYS): programs write their proof front to back.
type outFile struct {
	experimentalsys.UnimplementedFile
	fs     *outFS
	off    int64
	append bool
}

func (f *outFile) IsAppend() bool { return f.append }

func (f *outFile) SetAppend(a bool) experimentalsys.Errno { f.append = a; return 0 }

func (f *outFile) Stat() (sys.Stat_t, experimentalsys.Errno) { return f.fs.Stat(proofName) }

func (f *outFile) Write(p []byte) (int, experimentalsys.Errno) {
	if f.append {
		f.off = int64(len(f.fs.data))
	}
	n, errno := f.Pwrite(p, f.off)
	f.off += int64(n)
	return n, errno
}

func (f *outFile) Pwrite(p []byte, off int64) (int, experimentalsys.Errno) {
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	end := off + int64(len(p))
	if end > f.fs.max {
		f.fs.tooBig = true
		return 0, experimentalsys.EIO
	}
	if f.fs.onWrite != nil {
		f.fs.onWrite(len(p))
	}
	if int64(len(f.fs.data)) < end {
		f.fs.data = append(f.fs.data, make([]byte, end-int64(len(f.fs.data)))...)
	}
	copy(f.fs.data[off:], p)
	return len(p), 0
}

func (f *outFile) Read(p []byte) (int, experimentalsys.Errno) {
	n, errno := f.Pread(p, f.off)
	f.off += int64(n)
	return n, errno
}

func (f *outFile) Pread(p []byte, off int64) (int, experimentalsys.Errno) {
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if off >= int64(len(f.fs.data)) {
		return 0, 0
	}
	return copy(p, f.fs.data[off:]), 0
}

func (f *outFile) Truncate(size int64) experimentalsys.Errno {
	switch {
	case size < 0:
		return experimentalsys.EINVAL
	case size > f.fs.max:
		f.fs.tooBig = true
		return experimentalsys.EIO
	case size <= int64(len(f.fs.data)):
		f.fs.data = f.fs.data[:size]
	default:
		f.fs.data = append(f.fs.data, make([]byte, size-int64(len(f.fs.data)))...)
	}
	return 0
}

func (f *outFile) Sync() experimentalsys.Errno     { return 0 }
func (f *outFile) Datasync() experimentalsys.Errno { return 0 }
