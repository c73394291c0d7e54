package loadtest

import (
	"io"
	"net"
	"net/http"
	"time"
)

// HTTPFrom is a client whose connections come from local address ip (all
// of 127/8 is loopback), so that one process plays several clients. It
// does not follow redirects.
func HTTPFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends req, reads its answer through, and returns its status (0 if it
// failed).
func do(hc *http.Client, req *http.Request) int {
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
