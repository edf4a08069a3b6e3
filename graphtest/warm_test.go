package graphtest

import (
	"testing"

	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
)

var _ = msgraphsdk.NewGraphServiceClient

func TestWarm(t *testing.T) {}
