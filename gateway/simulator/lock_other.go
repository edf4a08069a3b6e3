//go:build !unix

package simulator

import "os"

// lockFile does nothing where there is no flock: there, one process at a
// time may use a ledger.
func lockFile(f *os.File) (unlock func(), err error) { return func() {}, nil }
