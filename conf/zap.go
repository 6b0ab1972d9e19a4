package conf

import "go.uber.org/zap"

// nopZap silences the etcd client's own zap logger: its retries are noisy at
// Info and every failure that matters surfaces as an error we log with slog.
func nopZap() *zap.Logger { return zap.NewNop() }
