package chain

// SetSnapshots makes a take a snapshot of every interval-th height into
// dir, in chunks of about chunkSize bytes (tests cut small states into
// several chunks this way).
func SetSnapshots(a *App, dir string, interval int64, chunkSize int) {
	a.snaps = &snapshotter{interval: interval, store: &snapshotStore{dir: dir, keep: 2, chunkSize: chunkSize}}
}
