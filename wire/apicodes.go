package wire

// APICode is the stable, snake_case kind of an API failure, the "code" of
// an APIError body: callers branch on it instead of on the message, which
// may change. docs/API.md ("Errors") lists them with their HTTP statuses.
type APICode string

// The API's error codes. A CheckTx rejection of POST /v1/txs is not an
// APIError: it answers 422 with a BroadcastResult whose numeric code and
// code_name are the transaction's (codes.go); its kind is APIRejected.
const (
	APIBadRequest      APICode = "bad_request"      // 400: a parameter or body is malformed or out of range
	APINotFound        APICode = "not_found"        // 404: no such account, transaction, block, program, prover or workload
	APINoRoute         APICode = "no_route"         // 404: no such endpoint
	APIAlreadyReceived APICode = "already_received" // 409: the mempool has the transaction already
	APIBodyTooLarge    APICode = "body_too_large"   // 413
	APIURLTooLong      APICode = "url_too_long"     // 414
	APIRejected        APICode = "rejected"         // 422: CheckTx refused the transaction (a BroadcastResult)
	APIInternal        APICode = "internal"         // 500: the node's answer could not be decoded
	APIIndexerDisabled APICode = "indexer_disabled" // 501: the node keeps no transaction or block index
	APIUnavailable     APICode = "unavailable"      // 503: the node could not be reached or answered an error
	APINoState         APICode = "no_state"         // 503: no committed state yet, or that version is not kept
	APIBusy            APICode = "busy"             // 503 with Retry-After: the node runs as many of these as it will
	APIMempoolFull     APICode = "mempool_full"     // 503: retry after the next block
	APITooManyStreams  APICode = "too_many_streams" // 503: the node serves its most event streams
)

// APICodes lists every APICode, in the order docs/API.md documents them.
var APICodes = []APICode{APIBadRequest, APINotFound, APINoRoute, APIAlreadyReceived, APIBodyTooLarge,
	APIURLTooLong, APIRejected, APIInternal, APIIndexerDisabled, APIUnavailable, APINoState, APIBusy,
	APIMempoolFull, APITooManyStreams}
