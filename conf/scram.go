package conf

import (
	"crypto/sha256"
	"crypto/sha512"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

var (
	sha256Gen scram.HashGeneratorFcn = sha256.New
	sha512Gen scram.HashGeneratorFcn = sha512.New
)

// scramClient adapts xdg-go/scram to sarama's SCRAMClient interface, which
// sarama leaves to the application.
func scramClient(gen scram.HashGeneratorFcn) func() sarama.SCRAMClient {
	return func() sarama.SCRAMClient { return &scramConv{gen: gen} }
}

type scramConv struct {
	gen  scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramConv) Begin(user, pass, authzID string) error {
	c, err := s.gen.NewClient(user, pass, authzID)
	if err != nil {
		return err
	}
	s.conv = c.NewConversation()
	return nil
}

func (s *scramConv) Step(challenge string) (string, error) { return s.conv.Step(challenge) }

func (s *scramConv) Done() bool { return s.conv.Done() }
