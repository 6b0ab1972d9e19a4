//go:build linux

package e2e

// fileScenarios are the file lifecycle faults: how applications and
// logrotate create, move, truncate and delete the files the agent follows.
var fileScenarios = []scenario{}
