package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the figures were measured.
type machine struct {
	CPUs      int
	CPU       string
	GoVersion string
	OS, Arch  string
	Date      time.Time
}

func describeMachine() machine {
	return machine{CPUs: runtime.NumCPU(), CPU: cpuModel(), GoVersion: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, Date: time.Now().UTC()}
}

func (m machine) String() string {
	return fmt.Sprintf("nproc %d (%s), %s %s/%s, %s", m.CPUs, m.CPU, m.GoVersion, m.OS, m.Arch, m.Date.Format("2006-01-02 15:04 MST"))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
