package loadtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// A Flood is a paced stream of requests from several workers, each with
// its own client address (127.0.0.1 to 127.0.0.4, in turn), sharing a
// fixed rate: fixed, so that a flood costs the same CPU on a busy machine
// as on an idle one (a closed loop would take whatever the machine's other
// work leaves).
type Flood struct {
	workers   int
	perSecond int
	// worker makes worker i's request maker.
	worker func(i int) func() (*http.Request, error)
	// answer is told each answer's status (0: no answer, or no request).
	answer func(status int)
}

// Queries is a flood of queries to the API at apiURL, perSecond of them
// over 8 workers: lists with limit=1000, the programs, status, a
// workload's /pending and account's record, each worker cycling through
// them from its own starting point.
func Queries(apiURL, account string, perSecond int, answer func(status int)) Flood {
	paths := []string{"/v1/workloads?limit=1000", "/v1/provers?limit=1000", "/v1/programs", "/v1/status",
		"/v1/workloads/" + strings.Repeat("ab", 32) + "/pending", "/v1/accounts/" + account}
	return Flood{workers: 8, perSecond: perSecond, answer: answer, worker: func(i int) func() (*http.Request, error) {
		j := i - 1
		return func() (*http.Request, error) {
			j++
			return http.NewRequest(http.MethodGet, apiURL+paths[j%len(paths)], nil)
		}
	}}
}

// Uploads is a flood of blob uploads to the upload listener at blobURL,
// perSecond of them over 4 workers, one per client address. Each blob is
// 256 KiB and begins with the next number of seq, so that it is new to the
// node without paying for randomness.
func Uploads(blobURL string, seq *atomic.Uint64, perSecond int, answer func(status int)) Flood {
	return Flood{workers: 4, perSecond: perSecond, answer: answer, worker: func(int) func() (*http.Request, error) {
		buf := make([]byte, 256<<10)
		return func() (*http.Request, error) {
			binary.BigEndian.PutUint64(buf, seq.Add(1))
			return http.NewRequest(http.MethodPut, blobURL+"/v1/blobs", bytes.NewReader(buf))
		}
	}}
}

// start runs the flood's workers, each in a goroutine counted in wg, until
// stop closes.
func (f Flood) start(stop <-chan struct{}, wg *sync.WaitGroup) {
	for i := range f.workers {
		hc := HTTPFrom(fmt.Sprintf("127.0.0.%d", 1+i%4))
		next := f.worker(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			paced(stop, rateShare(f.perSecond, f.workers, i), func() {
				req, err := next()
				if err != nil {
					f.answer(0)
					return
				}
				f.answer(do(hc, req))
			})
		}()
	}
}
