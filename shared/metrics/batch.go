package metrics

import "sync"

// Batch aggregates the values of many attempts and writes them as one EMF line
// per Event dimension value when flushed: the delivery Lambda writes one line
// per batch instead of one per attempt, since every line is billed log
// ingestion and CloudWatch computes the same statistics from either. Counts
// are summed; other values (latencies) are kept as a list, which EMF accepts
// for up to maxValues values per metric and line.
type Batch struct {
	r     *Recorder
	mu    sync.Mutex
	order []string
	by    map[string]*aggregate
}

// maxValues is EMF's limit of values per metric in one line.
const maxValues = 100

// aggregate is one Event value's metrics, in the order first seen.
type aggregate struct {
	defs  []Value
	sums  map[string]float64
	lists map[string][]float64
}

// Batch returns an empty batch writing to r; nil for a nil Recorder (every
// method of a nil Batch does nothing).
func (r *Recorder) Batch() *Batch {
	if r == nil {
		return nil
	}
	return &Batch{r: r, by: map[string]*aggregate{}}
}

// Add adds values under the Event dimension event ("" for none). It is safe
// for concurrent use.
func (b *Batch) Add(event string, values ...Value) {
	if b == nil || len(values) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.by[event]
	if a == nil {
		a = &aggregate{sums: map[string]float64{}, lists: map[string][]float64{}}
		b.by[event] = a
		b.order = append(b.order, event)
	}
	for _, v := range values {
		_, summed := a.sums[v.Name]
		_, listed := a.lists[v.Name]
		if !summed && !listed {
			a.defs = append(a.defs, Value{Name: v.Name, Unit: v.Unit})
		}
		if v.Unit == "Count" {
			a.sums[v.Name] += v.Value
			continue
		}
		a.lists[v.Name] = append(a.lists[v.Name], v.Value)
		if len(a.lists[v.Name]) == maxValues {
			b.flushLocked(event, a)
		}
	}
}

// Flush writes what was added since the last Flush and empties the batch.
func (b *Batch) Flush() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, event := range b.order {
		b.flushLocked(event, b.by[event])
	}
	b.order, b.by = b.order[:0], map[string]*aggregate{}
}

func (b *Batch) flushLocked(event string, a *aggregate) {
	if len(a.defs) == 0 {
		return
	}
	vals := make([]any, len(a.defs))
	for i, d := range a.defs {
		if l, ok := a.lists[d.Name]; ok {
			vals[i] = l
		} else {
			vals[i] = a.sums[d.Name]
		}
	}
	b.r.line("Event", event, a.defs, vals)
	*a = aggregate{sums: map[string]float64{}, lists: map[string][]float64{}}
}
