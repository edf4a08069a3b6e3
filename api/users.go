package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/sqldb"
)

// list is the shape of every list the API returns.
type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](data []T, next string) list[T] {
	l := list[T]{Data: data}
	if l.Data == nil {
		l.Data = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q.Get("limit"), sqldb.DefaultUserLimit, sqldb.MaxUserLimit)
	if err != nil {
		return err
	}
	users, next, err := s.db.FindUsers(r.Context(), kassa.UserFilter{
		Search: q.Get("search"), After: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(users, next))
	return nil
}

// queryLimit parses the limit query parameter: def when absent, else a whole
// number from 1 to max.
// queryBool reads the query parameter name: true, or false when absent.
func queryBool(q url.Values, name string) (bool, error) {
	switch q.Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, kassa.InvalidE(name, "error.query.bool", "Field", name)
}

// queryOffset reads an offset cursor: a page's next_cursor is the offset
// of the page after it; none is the first page.
func queryOffset(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, kassa.InvalidE("cursor", "error.query.cursor")
	}
	return n, nil
}

func queryLimit(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, kassa.InvalidE("limit", "error.query.limit", "Max", max)
	}
	return n, nil
}
