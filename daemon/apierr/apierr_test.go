package apierr

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/baylingd/baylingd/engine"
	"github.com/baylingd/baylingd/translate"
)

func TestFrom(t *testing.T) {
	_, langErr := translate.Lookup("klingonish")
	_, reqErr := translate.BuildInstruction(translate.Request{Target: "de"})
	cases := []struct {
		err    error
		code   string
		status int
	}{
		{langErr, UnknownLanguage, 400},
		{reqErr, BadRequest, 400},
		{fmt.Errorf("submit: %w", engine.ErrBusy), Busy, 503},
		{engine.ErrClosed, Busy, 503},
		{fmt.Errorf("%w: 5000 tokens", engine.ErrTooLong), TooLong, 413},
		{fmt.Errorf("%w: top_p", engine.ErrInvalid), BadRequest, 400},
		{context.DeadlineExceeded, Timeout, 504},
		{fmt.Errorf("wrapped: %w", context.Canceled), Cancelled, 499},
		{New(TooLong, "text is %d bytes", 9000), TooLong, 413},
		{errors.New("boom"), Internal, 500},
	}
	for _, c := range cases {
		e := From(c.err)
		if e.Code != c.code || Status(e.Code) != c.status || e.Message == "" {
			t.Errorf("%v: got %+v (status %d), want %s %d", c.err, e, Status(e.Code), c.code, c.status)
		}
	}
	if From(nil) != nil {
		t.Error("From(nil) != nil")
	}
}
