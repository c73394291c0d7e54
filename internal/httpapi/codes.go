package httpapi

import (
	"net/http"

	"github.com/provernet/provernet/wire"
)

// Every error answer carries a stable code (wire.APICode, docs/API.md
// "Errors"). fail gives the code its status implies; failWith names one
// where the status alone does not tell the kinds apart (a 503 that is busy,
// without state, or past the stream limit).

// codeFor is the code a failure with status has unless it names another.
func codeFor(status int) wire.APICode {
	switch status {
	case http.StatusBadRequest:
		return wire.APIBadRequest
	case http.StatusNotFound:
		return wire.APINotFound
	case http.StatusConflict:
		return wire.APIAlreadyReceived
	case http.StatusRequestEntityTooLarge:
		return wire.APIBodyTooLarge
	case http.StatusRequestURITooLong:
		return wire.APIURLTooLong
	case http.StatusNotImplemented:
		return wire.APIIndexerDisabled
	case http.StatusServiceUnavailable:
		return wire.APIUnavailable
	default:
		return wire.APIInternal
	}
}

// failWith writes an error answer with its code.
func failWith(w http.ResponseWriter, status int, code wire.APICode, msg, hint string) {
	writeJSON(w, status, wire.APIError{Message: msg, Code: code, Hint: hint})
}
