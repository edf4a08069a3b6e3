//go:build unix

package simulator

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f (flock), which every process
// sharing the ledger takes around reading and appending.
func lockFile(f *os.File) (unlock func(), err error) {
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX); err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }, nil
}
