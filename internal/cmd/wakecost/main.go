// Command wakecost prints, as one JSON object, what this machine charges a
// process for waking up every -gap to do -units of memory-bound work
// (internal/bench/wake). `make bench` runs it GOMAXPROCS=1 on the shipper's
// core, the way it runs the shipper.
//
//	wakecost [-gap 200ms] [-units 1000] [-each 4s]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/logpipe/logpipe/internal/bench/wake"
)

func main() {
	gap := flag.Duration("gap", 200*time.Millisecond, "idle time between bursts")
	units := flag.Int("units", 1000, "units of work per burst (16 KiB copied and CRC'd each)")
	each := flag.Duration("each", 4*time.Second, "length of each of the four measurements")
	flag.Parse()
	if err := json.NewEncoder(os.Stdout).Encode(wake.Measure(*gap, *units, *each)); err != nil {
		fmt.Fprintf(os.Stderr, "wakecost: %v\n", err)
		os.Exit(1)
	}
}
