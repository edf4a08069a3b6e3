package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/kassa-billing/kassa"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 1 << 20

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\r\n"

// decode reads the JSON body of r into v. Malformed JSON and bodies over
// MaxBodyBytes are BadRequest; a field of the wrong type or an unknown field
// is Invalid and names the field.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return kassa.E(kassa.BadRequest, "error.body.too_large", "Max", MaxBodyBytes)
	} else if err != nil {
		return kassa.E(kassa.BadRequest, "error.body.unreadable")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return kassa.E(kassa.BadRequest, "error.body.empty")
	}
	if bytes.TrimLeft(body, jsonSpace)[0] != '{' { // null would decode as {}
		return kassa.E(kassa.BadRequest, "error.body.not_object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// Not dec.More, which takes a stray '}' or ']' for the end.
	if len(bytes.TrimLeft(body[dec.InputOffset():], jsonSpace)) != 0 {
		return kassa.E(kassa.BadRequest, "error.body.trailing")
	}
	return unknownField(body, reflect.TypeOf(v), "")
}

// unknownField returns an Invalid error naming the first field of the JSON
// object raw that the struct type t does not have, looking into nested
// objects and arrays too, so that a misspelt field is reported rather than
// ignored. at is where raw sits in the request ("" for the body,
// "products[1]" for an element). A string holding U+0000, which
// PostgreSQL cannot store, is refused the same way.
func unknownField(raw []byte, t reflect.Type, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return nil
		}
		for i, e := range elems {
			if err := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		var v string
		if json.Unmarshal(raw, &v) == nil && strings.ContainsRune(v, 0) {
			return kassa.InvalidE(at, "error.body.nul", "Field", at)
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil // null, or a shape Decode accepted for its own reasons
	}
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && f.IsExported() {
			fields[name] = f.Type
		}
	}
	for key, val := range obj {
		name := key
		if name == "" {
			name = `""` // a member without a name is named all the same
		}
		if at != "" {
			name = at + "." + name
		}
		ft, ok := fields[key]
		if !ok {
			return kassa.InvalidE(name, "error.body.unknown_field", "Field", name)
		}
		if err := unknownField(val, ft, name); err != nil {
			return err
		}
	}
	return nil
}

func decodeError(err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return kassa.E(kassa.BadRequest, "error.body.syntax", "Offset", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return kassa.E(kassa.BadRequest, "error.body.not_object")
		}
		return wrongType(e.Field, e.Type.Kind().String(), e.Value)
	}
	return kassa.E(kassa.BadRequest, "error.body.invalid_json")
}

// wrongType says that field holds a JSON value (value names its kind) where
// the request wants the one that decodes into a Go value of goKind.
func wrongType(field, goKind, value string) error {
	switch goKind {
	case "string":
		return kassa.InvalidE(field, "error.body.want_string", "Field", field, "Value", value)
	case "bool":
		return kassa.InvalidE(field, "error.body.want_bool", "Field", field, "Value", value)
	case "slice", "array":
		return kassa.InvalidE(field, "error.body.want_array", "Field", field, "Value", value)
	case "struct", "map", "ptr":
		return kassa.InvalidE(field, "error.body.want_object", "Field", field, "Value", value)
	}
	return kassa.InvalidE(field, "error.body.want_number", "Field", field, "Value", value)
}

// writeJSON renders v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // a programming error
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
