package translate

import (
	"errors"
	"strings"
)

// Stable error codes, as returned by the Code methods of this package's
// errors and by ErrorCode. The daemon puts them into error replies.
const (
	CodeBadRequest      = "bad_request"      // the request is malformed
	CodeUnknownLanguage = "unknown_language" // a language is not in the registry
)

// RequestError reports a request that cannot be served as given: empty text,
// same source and target, a malformed glossary or chat history. Its Code is
// CodeBadRequest.
type RequestError struct {
	Field   string // the offending field ("text", "target", "glossary", "messages"), if one
	Message string // what is wrong, in English, without the field name
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Code returns CodeBadRequest.
func (e *RequestError) Code() string { return CodeBadRequest }

// UnknownLanguageError reports a language that Lookup does not know, with up to
// three close matches. Its Code is CodeUnknownLanguage.
type UnknownLanguageError struct {
	Input       string     // the input, trimmed
	Field       string     // "source" or "target" when raised for a request; "" from Lookup
	Suggestions []Language // close matches, best first; may be empty
}

// Error returns, for example:
//
//	unknown language "germn"; did you mean: German (de)?
//	unknown target language "xx"
func (e *UnknownLanguageError) Error() string {
	var b strings.Builder
	b.WriteString("unknown ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteByte(' ')
	}
	b.WriteString("language ")
	b.WriteString(quote(e.Input))
	for i, l := range e.Suggestions {
		if i == 0 {
			b.WriteString("; did you mean: ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(l.String())
	}
	if len(e.Suggestions) > 0 {
		b.WriteByte('?')
	}
	return b.String()
}

// Code returns CodeUnknownLanguage.
func (e *UnknownLanguageError) Code() string { return CodeUnknownLanguage }

// quote quotes s for an error message, shortening very long inputs.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// ErrorCode returns the stable code of err if err (or an error it wraps) comes
// from this package's request validation (CodeBadRequest, CodeUnknownLanguage),
// and "" otherwise.
func ErrorCode(err error) string {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Code()
	}
	var ue *UnknownLanguageError
	if errors.As(err, &ue) {
		return ue.Code()
	}
	return ""
}

func badRequest(field, msg string) error { return &RequestError{Field: field, Message: msg} }
