package embedded

import "github.com/logto-webhooks/webhooks/shared/backend"

// OpenBackend opens the SQLite file at path (Open) as a backend.Backend: every
// store is the same DB, and closing the Backend closes the file. It is the
// local half of the backend factory; backend.OpenAWS is the other.
func OpenBackend(path string, opts Options) (*backend.Backend, error) {
	db, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	return db.Backend(path), nil
}

// Backend returns d as a backend.Backend named where in messages; closing it
// closes d.
func (d *DB) Backend(where string) *backend.Backend {
	return backend.New(backend.Backend{Hooks: d, Log: d, Queue: d, Dead: d, Sources: d, Where: where}, d.Close)
}
