package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Every generated line carries its sequence number in a request id,
// "mg-" and seqDigits digits, so the check can tell which written line a
// document holds without keeping the lines.
const (
	reqIDPrefix = "mg-"
	seqDigits   = 10
)

var (
	clientIPs = []string{"203.0.113.7", "198.51.100.23", "192.0.2.141", "203.0.113.88", "100.64.12.9", "198.51.100.200"}
	apiPaths  = []string{"/api/v1/orders", "/api/v1/cart", "/api/v1/users/me", "/api/v1/products", "/static/app.js", "/healthz"}
	methods   = []string{"GET", "GET", "GET", "GET", "POST", "PUT"}
	statuses  = []int{200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 499, 500, 502}
	agents    = []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
		"okhttp/4.12.0",
		"curl/8.5.0",
	}
	services = []string{"order-api", "cart-api", "user-api", "payment-worker"}
	events   = []struct{ level, msg string }{
		{"info", "order created"}, {"info", "cart updated"}, {"info", "payment authorized"},
		{"debug", "cache hit"}, {"warn", "slow downstream call"}, {"error", "payment gateway timeout"},
	}
)

// line returns the seq-th line: an nginx access-log line (seven in ten)
// or a JSON application log line, written at now.
func line(r *rand.Rand, now time.Time, seq int64) string {
	id := reqID(seq)
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	if r.IntN(10) < 7 {
		return fmt.Sprintf(`%s - - [%s] "%s %s/%d HTTP/1.1" %d %d "https://shop.example.com/" "%s" rt=%.3f uct=0.001 req_id=%s`,
			pick(clientIPs), now.Format("02/Jan/2006:15:04:05 -0700"), pick(methods), pick(apiPaths), r.IntN(100000),
			statuses[r.IntN(len(statuses))], 200+r.IntN(40000), pick(agents), float64(r.IntN(900))/1000, id)
	}
	ev := events[r.IntN(len(events))]
	return fmt.Sprintf(`{"time":"%s","level":"%s","service":"%s","msg":"%s","user_id":%d,"order_id":"o-%x","latency_ms":%d,"req_id":"%s"}`,
		now.Format("2006-01-02T15:04:05.000Z07:00"), ev.level, pick(services), ev.msg, r.IntN(1_000_000),
		r.Uint32(), r.IntN(800), id)
}

func reqID(seq int64) string { return fmt.Sprintf("%s%0*d", reqIDPrefix, seqDigits, seq) }

// lineSeq finds the sequence number in a line written by line.
func lineSeq(msg string) (int64, bool) {
	i := strings.LastIndex(msg, reqIDPrefix)
	if i < 0 || len(msg) < i+len(reqIDPrefix)+seqDigits {
		return 0, false
	}
	i += len(reqIDPrefix)
	n, err := strconv.ParseInt(msg[i:i+seqDigits], 10, 64)
	return n, err == nil
}

// lineHash identifies a line's content; the oracle keeps it while the line
// is in its window.
func lineHash(l string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(l))
	return h.Sum32()
}
