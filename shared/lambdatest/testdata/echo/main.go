// Command echo is the function lambdatest's own tests run: it prints a log line,
// returns its payload, and fails when the payload is "fail".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		fmt.Fprintf(os.Stderr, "echo: %s from %s\n", in, os.Getenv("ECHO_NAME"))
		if string(in) == `"fail"` {
			return nil, errors.New("asked to fail")
		}
		return in, nil
	})
}
