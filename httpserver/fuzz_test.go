package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/minicache/minicache"
)

// setBodySeeds is the seed corpus of FuzzSetBody, run by every go test.
var setBodySeeds = []string{
	`{"key": "user:123", "value": "John Doe", "ttl": 3600}`,
	`{"key":"session:abc","value":"user_data_here","ttl":1800}`,
	`{"key":"a","value":"b"}`,
	`{"key":"a","value":"b","ttl":null}`,
	`{"ttl":1,"value":"","key":"k"}`,
	` { "key" : "k" , "value" : "v" } `,
	`{"key":"a\"b","value":"\u00e9\ud83d\ude80"}`,
	`{"key":"\ud800","value":"lone surrogate"}`,
	`{"key":"a","key":"b","value":"v"}`,
	`{"key":"a","value":"b","value":null}`,
	`{"key":"a","value":"b","extra":[1,{"x":null}]}`,
	`{"KEY":"a","Value":"b"}`,
	`{"key":"a/b?c#d%e f","value":"v"}`,
	`{"key":".","value":"v"}`,
	`{"key":"..","value":"v"}`,
	`{"key":"","value":"v"}`,
	"{\"key\":\"\xff\xfe\",\"value\":\"v\"}",
	"{\"key\":\"k\",\"value\":\"\x01\"}",
	`{"key":"k","value":"v","ttl":0}`,
	`{"key":"k","value":"v","ttl":-0}`,
	`{"key":"k","value":"v","ttl":-1}`,
	`{"key":"k","value":"v","ttl":01}`,
	`{"key":"k","value":"v","ttl":1.5}`,
	`{"key":"k","value":"v","ttl":2.0}`,
	`{"key":"k","value":"v","ttl":1e2}`,
	`{"key":"k","value":"v","ttl":1E+2}`,
	`{"key":"k","value":"v","ttl":"60"}`,
	`{"key":"k","value":"v","ttl":[]}`,
	`{"key":"k","value":"v","ttl":9223372036}`,
	`{"key":"k","value":"v","ttl":9223372037}`,
	`{"key":"k","value":"v","ttl":99999999999999999999999}`,
	`{"key":"k","value":"v","ttl":-99999999999999999999999}`,
	`{"key":"k","value":"v","ttl":nul}`,
	`{"key":nullx,"value":"v"}`,
	`{"key":1,"value":true}`,
	`{"key":"k","value":{}}`,
	`{"key":"k"}`,
	`{"value":"v"}`,
	`{}`,
	`[]`,
	`null`,
	`"str"`,
	`42`,
	``,
	` `,
	`{`,
	`{"key":"k","value":"v"`,
	`{"key":"k","value":"v"}}`,
	`{"key":"k","value":"v"} {}`,
	`{"key":"k",,"value":"v"}`,
	`{"key":"k","value":"v",}`,
	`{"key" "k"}`,
	"\ufeff{\"key\":\"k\",\"value\":\"v\"}",
	"{\"key\":\"\xfe\",\"value\":\"v\"}",
	"{\"key\":\"k\",\"value\":\"a\xc3\"}",
	"{\"key\":\"k\",\"value\":\"v\",\"other\":\"\xff\"}",
	"{\"k\xffey\":\"k\",\"key\":\"k\",\"value\":\"v\"}",
	`{"key":"\udc00","value":"v"}`,
	`{"key":"k","value":"\ud83d\ude80\ud800x"}`,
	`{"key":"k","value":"\ud800\ud800\udc00"}`,
	`{"key":"k","value":"\ud800\u0041"}`,
	`{"\u006bey":"k","value":"\u0000\/\b\f\n\r\t\"\\"}`,
	`{"key":"k","value":"v","nested":{"a":[1,"]}",{"b":null}],"c":"}"},"ttl":5}`,
	`{"key":"a","value":"b","key":null}`,
}

// FuzzSetBody sends arbitrary bodies to PUT /set. No input may produce a 5xx
// or a panic; every answer is a JSON object with one "message" or "error";
// what is stored can be read back through GET /get/ with url.PathEscape; and
// the reflection-free decoder agrees with encoding/json wherever it answers.
//
// To fuzz beyond the seed corpus:
//
//	go test -run '^$' -fuzz FuzzSetBody -fuzztime 5m -fuzzminimizetime 2s ./httpserver
//
// (the default minimization budget, 60 s per new input, stalls progress
// here).
func FuzzSetBody(f *testing.F) {
	for _, s := range setBodySeeds {
		f.Add([]byte(s))
	}
	c := minicache.New[string, string](minicache.WithCapacity(64))
	defer c.Close()
	h := New(c).(*server)

	f.Fuzz(func(t *testing.T, body []byte) {
		slow, err := parseSetSlow(body)
		ref, refErr := decodeWithEncodingJSON(body)
		switch {
		case refErr != nil && err == nil:
			t.Fatalf("parseSetSlow accepted %q, encoding/json refused it: %v", body, refErr)
		case refErr == nil && err != nil && !strings.Contains(err.Error(), "UTF-8"):
			t.Fatalf("parseSetSlow refused %q (%v), encoding/json accepted it", body, err)
		case err == nil && !sameFields(slow, ref):
			t.Fatalf("parseSetSlow and encoding/json disagree on %q:\nslow %+v\njson %+v", body, slow, ref)
		}
		if fast, ok := parseSetFast(body); ok {
			if err != nil {
				t.Fatalf("fast decoder accepted %q, the slow one refused it: %v", body, err)
			}
			if !sameFields(fast, slow) {
				t.Fatalf("decoders disagree on %q:\nfast %+v\nslow %+v", body, fast, slow)
			}
		}

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/set", bytes.NewReader(body)))
		msg := checkAnswer(t, rec, "PUT /set "+string(body))
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			return
		default:
			t.Fatalf("PUT /set %q: status %d %s", body, rec.Code, rec.Body)
		}

		req, err := h.decodeSet(body)
		if err != nil {
			t.Fatalf("answered 200 to %q but decodeSet fails: %v", body, err)
		}
		if want := "Key '" + req.key + "' stored successfully"; msg != want {
			t.Fatalf("message %q, want %q", msg, want)
		}
		for _, path := range []string{"/get/", "/del/"} {
			method := map[string]string{"/get/": http.MethodGet, "/del/": http.MethodDelete}[path]
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, path+url.PathEscape(req.key), nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %q after storing it: %d %s", method, req.key, rec.Code, rec.Body)
			}
			if method == http.MethodDelete {
				checkAnswer(t, rec, method+" "+req.key)
			} else {
				var got struct{ Key, Value string }
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Key != req.key || got.Value != req.value {
					t.Fatalf("GET %q: %s, want value %q", req.key, rec.Body, req.value)
				}
			}
		}
	})
}

// sameFields reports whether two decodings of a body agree.
func sameFields(a, b setFields) bool {
	return a.key == b.key && a.value == b.value && a.hasKey == b.hasKey &&
		a.hasValue == b.hasValue && a.keyErr == b.keyErr && a.valueErr == b.valueErr &&
		bytes.Equal(a.ttl, b.ttl) && (a.ttl == nil) == (b.ttl == nil)
}

// decodeWithEncodingJSON decodes a PUT /set body with encoding/json, the
// reference parseSetSlow must agree with wherever encoding/json changes no
// byte (valid UTF-8, no lone surrogates).
func decodeWithEncodingJSON(body []byte) (setFields, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return setFields{}, err
	}
	if obj == nil {
		return setFields{}, errors.New("null body")
	}
	str := func(raw json.RawMessage) (s string, ok, typeErr bool) {
		if raw == nil || string(raw) == "null" {
			return "", false, false
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, true
		}
		return s, true, false
	}
	var f setFields
	f.key, f.hasKey, f.keyErr = str(obj["key"])
	f.value, f.hasValue, f.valueErr = str(obj["value"])
	if raw := obj["ttl"]; raw != nil && string(raw) != "null" {
		f.ttl = raw
	}
	return f, nil
}

// checkAnswer checks that rec holds a JSON object with exactly one field,
// "message" or "error", and returns its text.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, what string) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q", what, ct)
	}
	var m map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s: body %q is not a JSON object of strings: %v", what, rec.Body, err)
	}
	if rec.Code == http.StatusOK && m["message"] == "" || rec.Code != http.StatusOK && m["error"] == "" || len(m) != 1 {
		t.Fatalf("%s: status %d with body %s", what, rec.Code, rec.Body)
	}
	if rec.Code == http.StatusOK {
		return m["message"]
	}
	return m["error"]
}

// FuzzAppendString checks the JSON string encoder against encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\", "\x00\x01\x1f\x7f", "\b\f\n\r\t",
		"é日🚀", "\u2028\u2029", "\xff", "a\xc3", "\xed\xa0\x80", "<>&", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendString(nil, s)
		if n := escapedLen(s) + 2; n != len(got) {
			t.Fatalf("escapedLen(%q) + 2 = %d, appendString gives %d bytes", s, n, len(got))
		}
		if !bytes.Equal(bytes.TrimSuffix(want.Bytes(), []byte("\n")), got) {
			t.Fatalf("appendString(%q) = %s, encoding/json gives %s", s, got, want.Bytes())
		}
	})
}
