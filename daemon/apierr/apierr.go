package apierr

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/translate"
)

// The stable error codes.
const (
	BadRequest      = "bad_request"      // malformed or invalid request
	UnknownLanguage = "unknown_language" // a language not in the registry
	TooLong         = "too_long"         // text or prompt over a limit
	Busy            = "busy"             // queue full or shutting down: retry later
	Timeout         = "timeout"          // the request's deadline passed
	Cancelled       = "cancelled"        // the client went away or the daemon stopped the request
	Internal        = "internal"         // a bug or engine failure
)

// Error is an error with a code, as sent to clients.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New makes an Error.
func New(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// From classifies any error the daemon may meet.
func From(err error) *Error {
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case translate.ErrorCode(err) != "":
		return &Error{Code: translate.ErrorCode(err), Message: err.Error()}
	case errors.Is(err, engine.ErrBusy):
		return &Error{Code: Busy, Message: "the request queue is full; retry later"}
	case errors.Is(err, engine.ErrClosed):
		return &Error{Code: Busy, Message: "the daemon is shutting down; retry later"}
	case errors.Is(err, engine.ErrTooLong):
		return &Error{Code: TooLong, Message: err.Error()}
	case errors.Is(err, engine.ErrEmpty), errors.Is(err, engine.ErrInvalid):
		return &Error{Code: BadRequest, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: Timeout, Message: "the request's deadline passed"}
	case errors.Is(err, context.Canceled):
		return &Error{Code: Cancelled, Message: "the request was cancelled"}
	}
	return &Error{Code: Internal, Message: err.Error()}
}

// Status is the HTTP status for a code.
func Status(code string) int {
	switch code {
	case BadRequest, UnknownLanguage:
		return http.StatusBadRequest
	case TooLong:
		return http.StatusRequestEntityTooLarge
	case Busy:
		return http.StatusServiceUnavailable
	case Timeout:
		return http.StatusGatewayTimeout
	case Cancelled:
		return 499 // client closed request (nginx's convention)
	}
	return http.StatusInternalServerError
}
