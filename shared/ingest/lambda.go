package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// HandleLambda is the Lambda handler. It accepts an API Gateway HTTP API (payload
// v2) event for POST /events, or the ingest request itself for direct invocation
// (aws lambda invoke, SDK Invoke).
//
// For API Gateway it returns an events.APIGatewayV2HTTPResponse with the same
// statuses and bodies as ServeHTTP. For direct invocation it returns the 202 body,
// or the 400 error body as a normal result (retrying a bad request cannot help),
// and a function error for 5xx so that asynchronous invocations are retried by
// Lambda itself.
func (s *Service) HandleLambda(ctx context.Context, payload json.RawMessage) (any, error) {
	if req, ok := asHTTPAPI(payload); ok {
		return s.handleHTTPAPI(ctx, req), nil
	}
	status, body := s.respond(ctx, payload)
	if status >= 500 {
		return nil, errors.New(string(body))
	}
	return json.RawMessage(body), nil
}

// asHTTPAPI recognises an HTTP API v2 event by its version and request method,
// fields an ingest request never has (records reject unknown fields).
func asHTTPAPI(payload json.RawMessage) (events.APIGatewayV2HTTPRequest, bool) {
	var req events.APIGatewayV2HTTPRequest
	if json.Unmarshal(payload, &req) != nil || req.Version != "2.0" || req.RequestContext.HTTP.Method == "" {
		return events.APIGatewayV2HTTPRequest{}, false
	}
	return req, true
}

func (s *Service) handleHTTPAPI(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	method := req.RequestContext.HTTP.Method
	if method != http.MethodPost {
		return apiResponse(&Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"})
	}
	relay, isRelay := req.PathParameters["sourceId"], strings.HasPrefix(req.RouteKey, "POST "+RelayPathPrefix)
	if p := req.RawPath; !isRelay && p != "" {
		// The stage name may precede the route in RawPath.
		if i := strings.Index(p, RelayPathPrefix); i >= 0 {
			relay, isRelay = relaySourceID(p[i:])
		}
	}
	if p := req.RawPath; !isRelay && p != "" && !strings.HasSuffix(strings.TrimSuffix(p, "/"), "/events") {
		return apiResponse(&Error{Status: http.StatusNotFound, Code: "not_found", Message: "POST /events and POST /logto/{sourceId} are the routes"})
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return apiResponse(&Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "body is not valid base64"})
		}
		body = b
	}
	var status int
	var out []byte
	if isRelay {
		// The body exactly as sent: its signature covers every byte.
		status, out = s.respondRelay(ctx, RelayRequest{SourceID: relay, Signature: req.Headers[signature.HeaderLogto], Body: body})
	} else {
		status, out = s.respond(ctx, bytes.TrimSpace(body))
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(out),
	}
}

func apiResponse(e *Error) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: e.Status,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(e.Body()),
	}
}
