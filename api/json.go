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
		return kassa.Errorf(kassa.BadRequest, "The body is larger than %d bytes.", MaxBodyBytes)
	} else if err != nil {
		return kassa.Errorf(kassa.BadRequest, "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return kassa.Errorf(kassa.BadRequest, "The body is empty; it must be a JSON object.")
	}
	if bytes.TrimLeft(body, jsonSpace)[0] != '{' { // null would decode as {}
		return kassa.Errorf(kassa.BadRequest, "The body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// Not dec.More, which takes a stray '}' or ']' for the end.
	if len(bytes.TrimLeft(body[dec.InputOffset():], jsonSpace)) != 0 {
		return kassa.Errorf(kassa.BadRequest, "The body must hold one JSON object and nothing after it.")
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
			return kassa.Invalidf(at, "%s must not hold the character U+0000.", at)
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
			return kassa.Invalidf(name, "%s is not a field of this request.", name)
		}
		if err := unknownField(val, ft, name); err != nil {
			return err
		}
	}
	return nil
}

func decodeError(err error) error {
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return kassa.Errorf(kassa.BadRequest, "The body is not valid JSON (at byte %d).", e.Offset)
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return kassa.Errorf(kassa.BadRequest, "The body must be a JSON object.")
		}
		return kassa.Invalidf(e.Field, "%s must be %s, not %s.", e.Field, jsonKind(e.Type.Kind().String()), e.Value)
	}
	return kassa.Errorf(kassa.BadRequest, "The body is not valid JSON.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a number"
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
