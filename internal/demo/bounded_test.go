package demo

import (
	"testing"
	"time"
)

// TestDemoBounded is the demo with a tiny retention: while many times more
// lines pass than it may keep, both clusters, the stand-in and the oracle
// stay within the bound, and the check still finds every line indexed
// exactly once (what retention dropped before a search read it counted from
// the stand-in's expiry hook).
func TestDemoBounded(t *testing.T) {
	o := DefaultOptions()
	o.Rate, o.For, o.Retain, o.MaxDocs = 500, 12*time.Second, 2*time.Second, 600
	res, _ := runDemo(t, &o, 5000)
	// Kafka retention runs every Retain/4 and drops whole batches older
	// than Retain: each cluster keeps about Retain × 1.25 of records. The
	// oracle keeps the lines of the last Retain, and those no document held
	// yet. The slack (3 s of records, 4 s of lines) is for a loaded machine
	// (make test runs packages in parallel), where ticks come late and the
	// pipeline lags; without retention, all 12 s would be kept.
	perSecond := int64(o.Rate)
	bounds := Kept{
		Docs:    int64(o.MaxDocs),
		Records: 2 * perSecond * int64((o.Retain*5/4+3*time.Second)/time.Second),
		Lines:   perSecond * int64((o.Retain+4*time.Second)/time.Second),
	}
	if k := res.Kept; k.Docs > bounds.Docs || k.Records > bounds.Records || k.Lines > bounds.Lines || k.Docs == 0 {
		t.Errorf("kept at most %+v, want within %+v while %d lines (%d records) passed", k, bounds, res.Written, 2*res.Written)
	}
	waitGoroutines(t)
}
