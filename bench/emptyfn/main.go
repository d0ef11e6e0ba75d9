// Command emptyfn is the smallest aws-lambda-go function: the baseline the
// bootstraps' cold starts and sizes are compared with in docs/benchmarks.md.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) error { return nil })
}
