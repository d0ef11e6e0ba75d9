package console

import (
	"context"
	"crypto/rand"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// dlqLimit bounds the jobs the dead-letter page lists.
const dlqLimit = 200

func deadFilter(r *http.Request, form bool) webhook.DeadFilter {
	get := r.URL.Query().Get
	if form {
		get = r.PostFormValue
	}
	return webhook.DeadFilter{HookID: get("hook"), Event: webhook.Event(get("event")), DeliveryID: get("delivery")}
}

func (c *Console) dlqPage(w http.ResponseWriter, r *http.Request) {
	f := deadFilter(r, false)
	f.DeliveryID = ""
	var jobs []webhook.Job
	if c.cfg.Backend.Dead != nil {
		var err error
		if jobs, err = c.cfg.Backend.Dead.ListDead(r.Context(), f, dlqLimit+1); err != nil {
			c.internal(w, r, err)
			return
		}
	}
	more := len(jobs) > dlqLimit
	if more {
		jobs = jobs[:dlqLimit]
	}
	c.page(w, r, "dlq", "Dead-letter queue", map[string]any{
		"Jobs": jobs, "More": more, "Filter": f, "Events": webhook.Catalog(), "Available": c.cfg.Backend.Dead != nil,
	})
}

// redriveJob is a redrive running in the background, which the page polls
// for its progress.
type redriveJob struct {
	ID    string
	Total int
	moved atomic.Int64
	done  atomic.Bool
	err   error // set before done
	Ended time.Time
}

// maxRedriveJobs bounds the finished redrives kept for their final count.
const maxRedriveJobs = 32

// startRedrive moves the jobs the form selects (one, a filtered set, or all)
// back to the delivery queue in the background and answers with the
// progress fragment, which polls until the final count.
func (c *Console) startRedrive(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Backend.Dead == nil {
		http.Error(w, "this console has no dead-letter queue configured", http.StatusNotImplemented)
		return
	}
	f := deadFilter(r, true)
	jobs, err := c.cfg.Backend.Dead.ListDead(r.Context(), f, 0)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	job := &redriveJob{ID: rand.Text()[:12], Total: len(jobs)}
	c.mu.Lock()
	for id, j := range c.jobs {
		if len(c.jobs) >= maxRedriveJobs && j.done.Load() {
			delete(c.jobs, id)
		}
	}
	c.jobs[job.ID] = job
	c.mu.Unlock()
	// The redrive outlives the request: closing the tab must not stop it
	// half-way.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Minute)
	go func() {
		defer cancel()
		n, err := c.cfg.Backend.Dead.Redrive(ctx, f, func(moved int) { job.moved.Store(int64(moved)) })
		job.moved.Store(int64(n))
		if err != nil {
			c.log.Error("console: redrive failed", "error", err, "moved", n)
			job.err = err
		}
		job.Ended = c.cfg.Now()
		job.done.Store(true)
	}()
	c.fragment(w, r, http.StatusOK, "redrive", job.view())
}

func (c *Console) redriveProgress(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	job := c.jobs[r.PathValue("job")]
	c.mu.Unlock()
	if job == nil {
		http.Error(w, "no such redrive", http.StatusNotFound)
		return
	}
	c.fragment(w, r, http.StatusOK, "redrive", job.view())
}

// redriveView is a snapshot of a redriveJob for the fragment.
type redriveView struct {
	ID           string
	Total, Moved int
	Done, Failed bool
}

func (j *redriveJob) view() redriveView {
	done := j.done.Load()
	return redriveView{ID: j.ID, Total: j.Total, Moved: int(j.moved.Load()), Done: done, Failed: done && j.err != nil}
}
