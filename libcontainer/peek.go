package libcontainer

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// PeekEach peeks at every container of ids (see [Store.Peek]) and calls fn
// with its index in ids. Each costs a dozen small reads (state.json, /proc,
// the freezer), so with many containers they are read by as many workers
// as the Go runtime has processors: fn runs concurrently and must only
// write to what belongs to index i. A container being created or deleted
// right now is skipped; any other error is returned, the first in the
// order of ids.
func (s *Store) PeekEach(ids []string, fn func(i int, c *Container)) error {
	errs := make([]error, len(ids))
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(ids) {
				return
			}
			c, err := s.Peek(ids[i])
			if errors.Is(err, ErrNotExist) {
				continue
			}
			if err != nil {
				errs[i] = err
				continue
			}
			fn(i, c)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(ids)/16+1)
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
