// Command emptyhandler is the smallest aws-lambda-go function: the baseline the
// cold-start measurement compares the ingest and delivery bootstraps with.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (struct{}, error) { return struct{}{}, nil })
}
