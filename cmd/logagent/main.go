// Command logagent tails the log files its etcd tasks name and ships every
// line to Kafka. See README.md for the configuration and key layout.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logagent"
)

var version = "dev"

func main() {
	cfgPath := flag.String("config", "/etc/logpipe/logagent.ini", "ini configuration file")
	check := flag.Bool("check", false, "validate the configuration and exit")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	cfg, err := logagent.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "logagent: invalid configuration:\n%v\n", err)
		os.Exit(2)
	}
	if *check {
		fmt.Println("configuration ok")
		return
	}
	log := cfg.Log.Logger(os.Stderr).With("daemon", "logagent")
	conf.RouteSaramaLogs(log)
	ctx := ops.SignalContext(log)
	a, err := logagent.New(cfg, log, ops.NewRegistry(), logagent.WithVersion(version))
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	if err := a.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		os.Exit(1)
	}
}
