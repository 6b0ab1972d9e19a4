package demo

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family returns the metric family name from g, nil when absent (a
// labelled series appears only once it has a value).
func family(g prometheus.Gatherer, name string) *dto.MetricFamily {
	mfs, err := g.Gather()
	if err != nil {
		return nil
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// total sums every series of a counter or gauge.
func total(g prometheus.Gatherer, name string) int64 {
	var sum float64
	if mf := family(g, name); mf != nil {
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return int64(sum)
}

// hist is a cumulative histogram: counts[i] observations at or below
// bounds[i].
type hist struct {
	bounds []float64
	counts []uint64
	n      uint64
}

// histogram reads the single histogram series name.
func histogram(g prometheus.Gatherer, name string) hist {
	mf := family(g, name)
	if mf == nil || len(mf.GetMetric()) == 0 {
		return hist{}
	}
	h := mf.GetMetric()[0].GetHistogram()
	out := hist{n: h.GetSampleCount()}
	for _, b := range h.GetBucket() {
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.counts = append(out.counts, b.GetCumulativeCount())
	}
	return out
}

// quantile estimates the q-quantile as Prometheus' histogram_quantile
// does: linear within the bucket it falls in, so it is only as fine as the
// buckets. Zero when nothing was observed.
func (h hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := q * float64(h.n)
	lower, below := 0.0, uint64(0)
	for i, c := range h.counts {
		if float64(c) >= rank {
			upper := h.bounds[i]
			if math.IsInf(upper, 1) {
				upper = lower
			}
			frac := (rank - float64(below)) / float64(c-below)
			return time.Duration((lower + (upper-lower)*frac) * float64(time.Second))
		}
		lower, below = h.bounds[i], c
	}
	return time.Duration(lower * float64(time.Second))
}
