package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
)

// sqsStub answers SendMessageBatch on SQS's JSON protocol, accepting every
// entry with the MD5 the SDK checks, and counts the messages. It stands in
// for moto where a figure needs thousands of messages: moto's
// SendMessageBatch takes tens of milliseconds and slows with the queue's
// depth, so 10,000 messages would take many minutes.
type sqsStub struct {
	URL      string
	messages atomic.Int64
	srv      *http.Server
}

func startSQSStub() (*sqsStub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sqs stub: %w", err)
	}
	s := &sqsStub{URL: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

type stubEntry struct {
	ID               string `json:"Id"`
	MessageBody      string `json:"MessageBody,omitempty"`
	MessageID        string `json:"MessageId,omitempty"`
	MD5OfMessageBody string `json:"MD5OfMessageBody,omitempty"`
}

func (s *sqsStub) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessageBatch" {
		http.Error(w, `{"__type":"com.amazonaws.sqs#UnsupportedOperation","message":"only SendMessageBatch"}`, http.StatusBadRequest)
		return
	}
	var in struct{ Entries []stubEntry }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"bad body"}`, http.StatusBadRequest)
		return
	}
	out := struct {
		Successful []stubEntry
		Failed     []stubEntry
	}{Failed: []stubEntry{}}
	for _, e := range in.Entries {
		sum := md5.Sum([]byte(e.MessageBody))
		id := s.messages.Add(1)
		out.Successful = append(out.Successful, stubEntry{ID: e.ID, MessageID: "m" + strconv.FormatInt(id, 10), MD5OfMessageBody: hex.EncodeToString(sum[:])})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *sqsStub) Close() error { return s.srv.Close() }
