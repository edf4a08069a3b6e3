package bench

import "fmt"

// ids keeps ids of one length back to back in one block of bytes. The
// collector marks such a block, which holds no pointers, as one object and
// never scans it. The bench's ids as strings were some 260 000 objects at
// 100 000 people and subscriptions, which the collector marked on every
// cycle of the process whose figures the bench measures (BENCHMARKS.md,
// "Scale").
type ids struct {
	width int
	b     []byte
}

// add appends id, which must be as long as the ids before it.
func (l *ids) add(id string) error {
	if l.width == 0 {
		l.width = len(id)
	}
	if len(id) != l.width || id == "" {
		return fmt.Errorf("bench: id %q is not %d bytes long like the ids before it", id, l.width)
	}
	l.b = append(l.b, id...)
	return nil
}

// at returns the i-th id.
func (l *ids) at(i int) string { return string(l.b[i*l.width : (i+1)*l.width]) }

// len returns how many ids l holds.
func (l *ids) len() int {
	if l.width == 0 {
		return 0
	}
	return len(l.b) / l.width
}
