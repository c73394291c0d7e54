//go:build wasip1

package progcore

import "syscall"

// The runtime reads the arguments too, but hands them only to package os;
// importing os would cost its initialisation, so ask WASI again.

//go:wasmimport wasi_snapshot_preview1 args_sizes_get
//go:noescape
func argsSizesGet(argc, argvBufLen *uint32) uint32

//go:wasmimport wasi_snapshot_preview1 args_get
//go:noescape
func argsGet(argv *uint32, argvBuf *byte) uint32

// Args returns the program's arguments (os.Args).
func Args() []string {
	var argc, size uint32
	if argsSizesGet(&argc, &size) != 0 || argc == 0 {
		return nil
	}
	argv := make([]uint32, argc)
	buf := make([]byte, size+1) // +1: never empty
	if argsGet(&argv[0], &buf[0]) != 0 {
		return nil
	}
	// The strings follow each other in buf, each NUL-terminated.
	args := make([]string, 0, argc)
	start := 0
	for i := 0; i < int(size) && len(args) < int(argc); i++ {
		if buf[i] == 0 {
			args = append(args, string(buf[start:i]))
			start = i + 1
		}
	}
	return args
}

func exit(code int) { syscall.Exit(code) }
