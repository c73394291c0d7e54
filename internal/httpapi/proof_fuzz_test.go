package httpapi

import (
	"net/url"
	"testing"
)

// FuzzProofQuery: ?prove= and ?height= on the proven routes, and
// /v1/light/{height}, through a real chain.App.
func FuzzProofQuery(f *testing.F) {
	for _, s := range []string{"prove=true", "prove=true&height=1", "prove=true&height=0", "prove=true&height=2",
		"prove=false&height=1", "prove=yes", "height=1", "prove=true&height=-1", "prove=true&height=9223372036854775807",
		"prove=true&prove=false", "%zz"} {
		f.Add(s, "1")
	}
	f.Add("", "latest")
	f.Add("", "0")
	f.Add("", "99999999999999999999")
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query, height string) {
		for _, path := range []string{"/v1/accounts/" + validAddr, "/v1/provers/" + validAddr, "/v1/workloads/" + hex64} {
			serve(t, h, "GET", path+"?"+query, nil)
		}
		serve(t, h, "GET", "/v1/light/"+url.PathEscape(height), nil)
	})
}
