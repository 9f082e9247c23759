package main

import (
	"context"
	"errors"

	"github.com/baylingd/baylingd/translate"
)

// translateViaDaemon is replaced when the daemon's socket client lands.
func translateViaDaemon(ctx context.Context, e *env, f translateFlags, req translate.Request) error {
	return errors.New("no --model given and the daemon client is not built yet")
}
