package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// load runs the loader, refreshing the progress indicator meanwhile.
func (a *App) load() {
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-a.done:
				return
			case <-tick.C:
				a.tv.QueueUpdateDraw(func() { a.loading.dirty = true })
			}
		}
	}()
	r, err := a.cfg.Load(func(i int, n int64) {
		if i >= 0 && i < len(a.progress) {
			a.progress[i].Store(n)
		}
	})
	close(stop)
	if err == nil && r == nil {
		err = errors.New("the analysis returned no report")
	}
	select {
	case <-a.done:
		return
	default:
	}
	a.tv.QueueUpdateDraw(func() {
		if err != nil {
			a.loadErr = err
			a.loading.SetTitle(" halfopen — q quits ")
			a.loading.set(func(w int) []line {
				out := []line{textLine(roleBad, "halfopen could not analyse the input:")}
				for _, msg := range strings.Split(err.Error(), "\n") {
					out = append(out, hang(line{{"  ", roleText}}, msg, roleText, w)...)
				}
				return out
			})
			a.updateStatus()
			return
		}
		a.setReport(r)
	})
}

// showLoading shows the progress page.
func (a *App) showLoading() {
	a.pages.SwitchToPage(pageLoading)
	a.loading.set(func(w int) []line {
		consumed := make([]int64, len(a.progress))
		for i := range a.progress {
			consumed[i] = a.progress[i].Load()
		}
		return loadingLines(a.cfg.Inputs, a.cfg.Sizes, consumed, time.Since(a.started), w)
	})
	a.tv.SetFocus(a.loading.focusTarget())
	a.updateStatus()
}

// loadingLines is the progress indicator: per input a bar and the bytes
// read of its size (file sizes; compressed bytes for compressed files).
func loadingLines(names []string, sizes, consumed []int64, elapsed time.Duration, width int) []line {
	var total, done int64
	known := true
	for i := range names {
		if i < len(sizes) && sizes[i] > 0 {
			total += sizes[i]
			done += min(consumed[i], sizes[i])
		} else {
			known = false
		}
	}
	head := fmt.Sprintf("Reading %s", plural(int64(len(names)), "capture"))
	if known && total > 0 {
		head += fmt.Sprintf(" — %d%%", done*100/total)
	}
	out := []line{textLine(roleHead, head+" …"), {}}
	barW := max(min(width-44, 40), 10)
	for i, n := range names {
		var size int64
		if i < len(sizes) {
			size = sizes[i]
		}
		var c int64
		if i < len(consumed) {
			c = consumed[i]
		}
		bar, what := "", megabytes(c)+" read"
		if size > 0 {
			filled := int(min(c, size) * int64(barW) / size)
			bar = "[" + repeat("█", filled) + repeat("░", barW-filled) + "] "
			what = fmt.Sprintf("%3d%% of %s", min(c, size)*100/size, megabytes(size))
		}
		out = append(out, line{{"  " + fit(n, max(width-barW-20, 16)), roleText}})
		out = append(out, line{{"    " + bar, roleStrong}, {what, roleMuted}})
	}
	out = append(out, line{}, textLine(roleMuted, fmt.Sprintf("%.0f s — q quits, ? shows the keys", elapsed.Seconds())))
	return out
}

func megabytes(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f kB", float64(n)/1024)
}

func repeat(s string, n int) string { return strings.Repeat(s, max(n, 0)) }
