// Command kassa runs the kassa service and its chores; `kassa help` lists them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets another:
// the collector works harder near it instead of letting the heap double,
// which keeps kassa within 100 MB of memory while a burst of sign-ins
// hashes passwords (argon2id takes 12 MiB a time). Outside sign-ins the
// heap stays near 30 MB in kassa bench; at 64 MiB the sign-ins' peak
// reached 100-103 MB of the whole process now and then.
const memoryLimit = 48 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	err := m.Run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kassa:", inEnglish(err))
		for _, p := range locale.In(locale.English).Problems(err) {
			fmt.Fprintln(os.Stderr, "  "+p)
		}
		os.Exit(exitCode(err))
	}
}

// inEnglish returns err's text for the operator: the catalog's English words
// in place of the key of the *kassa.Error in its chain, the rest as it is.
func inEnglish(err error) string {
	s := err.Error()
	if e, ok := errors.AsType[*kassa.Error](err); ok && e.Key != "" {
		s = strings.Replace(s, e.Error(), locale.In(locale.English).Error(e), 1)
	}
	return s
}
