package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// hostileBatches is how many batches the hostile-receiver memory figure sends.
const hostileBatches = 6

// hostileReceiver answers each request in one of three hostile ways, in turn:
// 4 MiB of response headers, a 64 MiB body sent as fast as it goes, or a 200
// whose body trickles a byte every 100 ms until the sender gives up.
type hostileReceiver struct {
	URL string
	srv *http.Server
	n   atomic.Int64
}

func startHostileReceiver() (*hostileReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hostile receiver: %w", err)
	}
	r := &hostileReceiver{URL: "http://" + ln.Addr().String() + "/hook"}
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch r.n.Add(1) % 3 {
		case 0:
			for i := range 4096 {
				w.Header().Set("X-Flood-"+strconv.Itoa(i), strings.Repeat("f", 1024))
			}
			w.WriteHeader(http.StatusOK)
		case 1:
			w.WriteHeader(http.StatusOK)
			for range 64 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		default:
			w.WriteHeader(http.StatusOK)
			for {
				if _, err := w.Write([]byte(".")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-req.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}), MaxHeaderBytes: 1 << 20}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *hostileReceiver) Close() error { return r.srv.Close() }
