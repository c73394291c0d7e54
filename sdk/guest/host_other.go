//go:build !wasip1

package guest

// Outside WebAssembly there is no host module: the package still builds,
// so code using it compiles and tests natively, and every call says why it
// cannot work.

func proveCall([]byte) ([]byte, error) { return nil, ErrNoHost }

func verifyCall([]byte) error { return ErrNoHost }

func lastError() string { return "" }
