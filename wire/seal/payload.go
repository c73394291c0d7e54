package seal

import "fmt"

// The age payload after the header: a 16-byte nonce, then the STREAM of
// 64 KiB plaintext chunks, each followed by a 16-byte tag. Only the last
// chunk may be short, and it is empty only if the whole plaintext is.
const (
	nonceSize = 16
	chunkSize = 64 << 10
	tagSize   = 16
)

// payloadPlaintext returns the plaintext size an age payload of n bytes
// holds, if n is a valid payload length and the plaintext has room for a
// Header.
func payloadPlaintext(n int) (int, error) {
	p, ok := streamPlaintext(n - nonceSize)
	if !ok {
		return 0, fmt.Errorf("%w: %d payload bytes are not a valid age stream", ErrMalformed, n)
	}
	if p < HeaderSize {
		return 0, fmt.Errorf("%w: plaintext is %d bytes, shorter than a %d-byte header", ErrMalformed, p, HeaderSize)
	}
	return p, nil
}

// streamPlaintext mirrors age's own size check (internal/stream): the
// plaintext size of e encrypted bytes, and whether e is a possible length.
func streamPlaintext(e int) (int, bool) {
	if e < tagSize {
		return 0, false
	}
	chunks := (e + chunkSize + tagSize - 1) / (chunkSize + tagSize)
	p := e - chunks*tagSize
	want := max((p+chunkSize-1)/chunkSize, 1)
	return p, want == chunks
}
