package devstack

import (
	"fmt"
	"net"
)

// FreePort asks the kernel for a free loopback port. The port is released
// before it is used, so another process can take it in between; callers that
// bind it retry on failure.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
