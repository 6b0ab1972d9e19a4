package logtransfer

import (
	"fmt"

	"github.com/IBM/sarama"
)

// Preview is the document a record becomes under a route, as the transfer
// would index it: target index, _id and JSON body.
type Preview struct {
	Index string `json:"index"`
	ID    string `json:"_id"`
	Body  string `json:"body"`
}

// Previewer builds the documents of route r with the transfer's own code,
// for `logctl tap`; it indexes nothing. r must be decoded (DecodeRoute).
// The returned function is safe for concurrent use.
func Previewer(r Route, s Settings) (func(*sarama.ConsumerMessage) Preview, error) {
	b, err := newDocBuilder(r, s.location())
	if err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	return func(m *sarama.ConsumerMessage) Preview {
		d := b.build(m)
		return Preview{Index: d.Index, ID: d.ID, Body: d.Body}
	}, nil
}
