package esdev

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// checkValue reports why a scalar cannot be indexed into f, or nil. It
// follows Elasticsearch's default coercion: numeric strings fit numbers,
// "true"/"false" fit booleans, and anything scalar fits text and keyword.
func checkValue(f *field, v any) *esError {
	switch f.typ {
	case "long", "integer", "short", "byte", "double", "float":
		return checkNumber(f.typ, v)
	case "boolean":
		if _, ok := toBool(v); ok || v == "" {
			return nil
		}
		return newESError("illegal_argument_exception",
			"Failed to parse value [%s] as only [true] or [false] are allowed.", scalarString(v))
	case "date":
		switch t := v.(type) {
		case json.Number:
			return nil
		case string:
			if _, _, err := parseDate(t, f.format()); err == nil {
				return nil
			}
		}
		return newESError("illegal_argument_exception",
			"failed to parse date field [%s] with format [%s]", scalarString(v), cmp.Or(f.format(), "strict_date_optional_time||epoch_millis"))
	}
	return nil
}

// integerRange bounds the integral types Elasticsearch range-checks.
var integerRange = map[string][2]float64{
	"long": {math.MinInt64, math.MaxInt64}, "integer": {math.MinInt32, math.MaxInt32},
	"short": {math.MinInt16, math.MaxInt16}, "byte": {math.MinInt8, math.MaxInt8},
}

func checkNumber(typ string, v any) *esError {
	var f float64
	switch t := v.(type) {
	case bool:
		return newESError("illegal_argument_exception",
			"Current token (VALUE_%s) not numeric, can not use numeric value accessors", strings.ToUpper(strconv.FormatBool(t)))
	case json.Number:
		f, _ = t.Float64()
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return newESError("number_format_exception", "For input string: \"%s\"", t)
		}
		f = n
	}
	if r, ok := integerRange[typ]; ok && (f < r[0] || f > r[1]) {
		return newESError("illegal_argument_exception", "Value [%s] is out of range for type [%s]", scalarString(v), typ)
	}
	return nil
}

// flatten maps every leaf path of a document to its values, arrays
// flattened and dotted keys expanded, which is how queries see fields.
func flatten(src map[string]any) map[string][]any {
	out := make(map[string][]any)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch t := v.(type) {
		case nil:
		case map[string]any:
			for k, c := range t {
				walk(c, joinPath(path, k))
			}
		case []any:
			for _, c := range t {
				walk(c, path)
			}
		default:
			out[path] = append(out[path], t)
		}
	}
	walk(src, "")
	return out
}
