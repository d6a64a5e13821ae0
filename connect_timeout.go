package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ssmdoctor/ssmdoctor/internal/awsapi"
	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

const connectTimeoutHint = "give a positive duration, e.g. --connect-timeout 10s"

// connectTimeoutFlag is --connect-timeout: how long each attempt of an AWS
// call, and each websocket dial of a session, waits for an answer. A
// session's whole setup gets three times as long.
func connectTimeoutFlag() *cli.DurationFlag {
	return &cli.DurationFlag{
		Name:  "connect-timeout",
		Usage: "how long an AWS endpoint, a proxy or the data channel may take to answer (each attempt); session setup gets 3 times as long",
		Value: awsapi.DefaultConnectTimeout,
		Action: func(_ *cli.Context, d time.Duration) error {
			return checkConnectTimeout(d)
		},
	}
}

func checkConnectTimeout(d time.Duration) error {
	if d <= 0 {
		return usageErr(connectTimeoutHint, "invalid --connect-timeout %s: it must be more than 0", d)
	}
	return nil
}

// noAnswer is the error the user reads when an AWS endpoint, the data
// channel's host or a proxy did not answer in time (exit 3: ssmdoctor
// could not reach AWS), or when a session's setup ran out of time (exit 1,
// as other session failures); nil for any other error. prefix starts the
// message ("check: ").
func noAnswer(prefix string, err error) error {
	var na *awsapi.NoAnswerError
	var tna *tunnel.NoAnswerError
	var st *tunnel.SetupTimeoutError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &na):
		return &exitError{code: exitInternal, err: fmt.Errorf("%s%v", prefix, na), hint: na.Hint()}
	case errors.As(err, &tna):
		return &exitError{code: exitInternal, err: fmt.Errorf("%s%v", prefix, tna), hint: tna.Hint()}
	case errors.As(err, &st):
		return &exitError{code: exitProblems, err: fmt.Errorf("%s%v", prefix, st),
			hint: "check the network and HTTPS_PROXY, or raise --connect-timeout (the setup may take 3 times as long)"}
	}
	return nil
}
