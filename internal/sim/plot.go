package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WritePlots writes PNG charts of the reports (one line per report) into
// dir: lorenz.png, the reward Lorenz curves by operator, and latency.png,
// the distribution (CDF) of blocks from a Run to its first final proof.
// It returns the files written.
func WritePlots(dir string, rs []*Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	var files []string
	for _, c := range []struct {
		name string
		make func([]*Report) (*plot.Plot, error)
	}{{"lorenz.png", lorenzPlot}, {"latency.png", latencyPlot}} {
		p, err := c.make(rs)
		if err != nil {
			return files, err
		}
		path := filepath.Join(dir, c.name)
		if err := p.Save(6*vg.Inch, 4.5*vg.Inch, path); err != nil {
			return files, fmt.Errorf("failed to write %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}

func title(rs []*Report) string {
	if len(rs) == 0 {
		return ""
	}
	r := rs[0]
	return fmt.Sprintf("%d provers, %d workloads, %d blocks, seed %d", r.Provers, r.Workloads, r.Blocks, r.Seed)
}

func lorenzPlot(rs []*Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Reward Lorenz curves by operator\n" + title(rs)
	p.X.Label.Text = "share of operators (poorest first)"
	p.Y.Label.Text = "share of income (reward + fees)"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top, p.Legend.Left = true, true
	var lines []any
	for _, r := range rs {
		lines = append(lines, fmt.Sprintf("%s (Gini %.2f)", r.Mechanism, r.RewardGini), lorenzXYs(r.lorenz))
	}
	lines = append(lines, "equality", plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err := plotutil.AddLines(p, lines...); err != nil {
		return nil, err
	}
	return p, nil
}

// lorenzXYs samples a Lorenz curve at up to 1000 points, starting at 0.
func lorenzXYs(l []float64) plotter.XYs {
	xys := plotter.XYs{{X: 0, Y: 0}}
	n := len(l)
	step := max(1, n/1000)
	for i := step - 1; i < n; i += step {
		xys = append(xys, plotter.XY{X: float64(i+1) / float64(n), Y: l[i]})
	}
	if n > 0 && xys[len(xys)-1].X != 1 {
		xys = append(xys, plotter.XY{X: 1, Y: l[n-1]})
	}
	return xys
}

func latencyPlot(rs []*Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Latency to the first final proof\n" + title(rs)
	p.X.Label.Text = "blocks after the Run"
	p.Y.Label.Text = "share of final workloads"
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top, p.Legend.Left = false, false // bottom right, under the curves
	var lines []any
	for _, r := range rs {
		lines = append(lines, fmt.Sprintf("%s (p50 %d, p99 %d)", r.Mechanism, r.LatencyP50, r.LatencyP99), cdfXYs(r.latencies))
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return nil, err
	}
	return p, nil
}

// cdfXYs is the empirical CDF of xs as a step line.
func cdfXYs(xs []int64) plotter.XYs {
	s := slices.Clone(xs)
	slices.Sort(s)
	xys := plotter.XYs{{X: 0, Y: 0}}
	n := float64(len(s))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		x := float64(s[i])
		xys = append(xys, plotter.XY{X: x, Y: xys[len(xys)-1].Y}, plotter.XY{X: x, Y: float64(j) / n})
		i = j
	}
	return xys
}
