package graphtest

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

type uuidT = uuid.UUID

func parseUUID(s string) (uuid.UUID, error) { return uuid.Parse(s) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// holds reports whether the user holds a license of the SKU.
func holds(u models.Userable, sku string) bool {
	if u == nil {
		return false
	}
	for _, l := range u.GetAssignedLicenses() {
		if l.GetSkuId() != nil && l.GetSkuId().String() == sku {
			return true
		}
	}
	return false
}

// describe writes an SDK error with Graph's code and message.
func describe(err error) string {
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) && odata.GetErrorEscaped() != nil {
		return fmt.Sprintf("%d %s: %s", odata.ResponseStatusCode, deref(odata.GetErrorEscaped().GetCode()), deref(odata.GetErrorEscaped().GetMessage()))
	}
	return fmt.Sprint(err)
}
