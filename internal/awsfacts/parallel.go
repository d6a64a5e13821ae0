package awsfacts

import "sync"

// parallelChunks is how many pages of one batched lookup are in flight at
// once. A 10,000-instance fleet needs 200 DescribeInstanceInformation and
// 100 SimulatePrincipalPolicy calls; one at a time, their latency alone is
// seconds. Adaptive retry still slows every client down under throttling.
const parallelChunks = fleetConcurrency

// eachChunk runs fn over every chunk, parallelChunks at a time, and returns
// the first error (in chunk order, so the report does not depend on timing).
// The call count is the same as a sequential loop's.
func eachChunk(cs [][]string, fn func(chunk []string) error) error {
	if len(cs) == 1 {
		return fn(cs[0])
	}
	errs := make([]error, len(cs))
	bounded(len(cs), parallelChunks, func(i int) { errs[i] = fn(cs[i]) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// bounded runs fn(0) to fn(n-1), at most limit at once, and returns when
// all have returned.
func bounded(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}
