package loadtest

import "time"

// paced calls fn perSecond times a second (fewer if fn is slower) until
// stop closes; not at all if perSecond is 0.
func paced(stop <-chan struct{}, perSecond int, fn func()) {
	if perSecond <= 0 {
		<-stop
		return
	}
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			fn()
		}
	}
}

// rateShare is worker i's part of perSecond requests a second over n
// workers.
func rateShare(perSecond, n, i int) int {
	share := perSecond / n
	if i < perSecond%n {
		share++
	}
	return share
}
