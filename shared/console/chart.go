package console

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// chartWindow is what charts cover, Logto's 24 h stats window, in hours.
const chartHours = 24

// maxChartEntries caps the attempts read for one chart, so a busy hook costs
// a bounded read; a chart drawn from fewer attempts than the hook made says so.
const maxChartEntries = 5000

// hour is one bar of a chart.
type hour struct {
	Start     time.Time
	Requests  int
	Successes int
	P50, P99  int64 // latency, ms; 0 without requests
}

// series is a hook's last 24 h by hour, oldest first.
type series struct {
	Hours []hour
	// Capped is set when the log held more attempts than were read.
	Capped    bool
	Requests  int
	Successes int
}

// hourly buckets entries (any order) into the 24 hours ending at now.
func hourly(entries []webhook.LogEntry, now time.Time, capped bool) series {
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-chartHours * time.Hour)
	s := series{Hours: make([]hour, chartHours), Capped: capped}
	lat := make([][]int64, chartHours)
	for i := range s.Hours {
		s.Hours[i].Start = start.Add(time.Duration(i) * time.Hour)
	}
	for _, e := range entries {
		i := int(time.UnixMilli(e.CreatedAt).Sub(start) / time.Hour)
		if i < 0 || i >= chartHours {
			continue
		}
		s.Hours[i].Requests++
		s.Requests++
		if e.Result == webhook.ResultSuccess {
			s.Hours[i].Successes++
			s.Successes++
		}
		lat[i] = append(lat[i], e.LatencyMs)
	}
	for i, l := range lat {
		if len(l) > 0 {
			slices.Sort(l)
			s.Hours[i].P50, s.Hours[i].P99 = percentile(l, 50), percentile(l, 99)
		}
	}
	return s
}

// percentile of sorted values, nearest rank.
func percentile(sorted []int64, p int) int64 {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// Geometry of the big chart.
const (
	chartW, chartH   = 720, 220
	plotL, plotR     = 44, 676
	plotT, plotB     = 16, 184
	sparkW, sparkH   = 120, 28
	colorRequests    = "#c9d1d9"
	colorSuccesses   = "#2da44e"
	colorP50         = "#0969da"
	colorP99         = "#bf8700"
	colorSparkFailed = "#cf222e"
)

// svg draws the 24 h chart: bars of requests with their successes in front,
// and p50/p99 latency lines on the right axis. It is plain SVG, drawn here, so
// the console needs no script or network to show it.
func (s series) svg() template.HTML {
	var b strings.Builder
	maxReq := 1
	var maxLat int64 = 1
	for _, h := range s.Hours {
		maxReq = max(maxReq, h.Requests)
		maxLat = max(maxLat, h.P99)
	}
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" data-requests="%d" data-successes="%d">`,
		chartW, chartH, s.Requests, s.Successes)
	fmt.Fprintf(&b, `<title>Last 24 h: %d requests, %d succeeded</title>`, s.Requests, s.Successes)
	slot := float64(plotR-plotL) / chartHours
	y := func(v, top int) float64 { return plotB - float64(v)/float64(top)*(plotB-plotT) }
	yl := func(v int64) float64 { return plotB - float64(v)/float64(maxLat)*(plotB-plotT) }
	// Axes and labels.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#8c959f"/>`, plotL, plotB, plotR, plotB)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis" text-anchor="end">%d</text>`, plotL-6, plotT+4, maxReq)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis" text-anchor="end">0</text>`, plotL-6, plotB+4)
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%d ms</text>`, plotR+6, plotT+4, maxLat)
	for i, h := range s.Hours {
		x := plotL + float64(i)*slot
		if i%6 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis">%s</text>`, x, plotB+16, h.Start.UTC().Format("15:04"))
		}
		if h.Requests == 0 {
			continue
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d requests, %d succeeded, p50 %d ms, p99 %d ms</title></rect>`,
			x+2, y(h.Requests, maxReq), slot-4, plotB-y(h.Requests, maxReq), colorRequests,
			h.Start.UTC().Format("15:04"), h.Requests, h.Successes, h.P50, h.P99)
		if h.Successes > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`,
				x+2, y(h.Successes, maxReq), slot-4, plotB-y(h.Successes, maxReq), colorSuccesses)
		}
	}
	for _, line := range []struct {
		color string
		val   func(hour) int64
	}{{colorP50, func(h hour) int64 { return h.P50 }}, {colorP99, func(h hour) int64 { return h.P99 }}} {
		var pts []string
		for i, h := range s.Hours {
			if h.Requests > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", plotL+(float64(i)+0.5)*slot, yl(line.val(h))))
			}
		}
		if len(pts) == 1 {
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, strings.Split(pts[0], ",")[0], strings.Split(pts[0], ",")[1], line.color)
		} else if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), line.color)
		}
	}
	// Legend.
	lx := plotL
	for _, l := range []struct{ color, name string }{
		{colorRequests, "requests"}, {colorSuccesses, "successes"}, {colorP50, "p50 latency"}, {colorP99, "p99 latency"},
	} {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="axis">%s</text>`,
			lx, chartH-12, l.color, lx+14, chartH-3, l.name)
		lx += 110
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and fixed strings only
}

// spark draws the success rate per hour as a tiny bar strip for the hooks
// list: green for the share that succeeded, red for the rest, nothing for an
// hour without requests.
func (s series) spark() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, sparkW, sparkH, sparkW, sparkH)
	fmt.Fprintf(&b, `<title>Success rate per hour, last 24 h</title>`)
	w := float64(sparkW) / chartHours
	for i, h := range s.Hours {
		if h.Requests == 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="1" fill="#d0d7de"/>`, float64(i)*w, sparkH-1, w-1)
			continue
		}
		ok := float64(h.Successes) / float64(h.Requests) * sparkH
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="%.1f" fill="%s"/>`, float64(i)*w, w-1, sparkH-ok, colorSparkFailed)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, float64(i)*w, sparkH-ok, w-1, ok, colorSuccesses)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and fixed strings only
}
