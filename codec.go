package minicache

import (
	"bytes"
	"encoding/gob"
	"reflect"
)

// A Codec turns keys or values of type T into bytes and back, for
// snapshots (see [Cache.SaveWith]). Its Name is written into a snapshot and
// checked on load, so that a snapshot is never decoded with the wrong codec.
type Codec[T any] interface {
	// Name identifies the encoding, such as "string" or "gob:main.User".
	Name() string
	// Append appends the encoding of v to dst and returns the result.
	Append(dst []byte, v T) ([]byte, error)
	// Decode returns the value encoded in data. It must not keep data,
	// which the caller reuses.
	Decode(data []byte) (T, error)
}

// StringCodec is the [Codec] of strings: their bytes, as they are.
func StringCodec() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Name() string                                { return "string" }
func (stringCodec) Append(dst []byte, v string) ([]byte, error) { return append(dst, v...), nil }
func (stringCodec) Decode(data []byte) (string, error)          { return string(data), nil }

// BytesCodec is the [Codec] of byte slices: their bytes, as they are. A
// decoded slice is a copy of its own.
func BytesCodec() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Name() string                                { return "bytes" }
func (bytesCodec) Append(dst []byte, v []byte) ([]byte, error) { return append(dst, v...), nil }
func (bytesCodec) Decode(data []byte) ([]byte, error)          { return bytes.Clone(data), nil }

// GobCodec is the [Codec] that encodes each value with encoding/gob, for
// any type gob can encode. It is the default for types other than string
// and []byte. A nil pointer, interface, map or slice, which gob cannot
// tell from a pointer to a zero value (or an empty map or slice), is
// encoded as no bytes at all, which gob never writes for a value, and
// decoded as nil.
func GobCodec[T any]() Codec[T] { return gobCodec[T]{} }

type gobCodec[T any] struct{}

func (gobCodec[T]) Name() string { return "gob:" + reflect.TypeFor[T]().String() }

func (gobCodec[T]) Append(dst []byte, v T) ([]byte, error) {
	if isNil(v) {
		return dst, nil
	}
	buf := bytes.NewBuffer(dst)
	if err := gob.NewEncoder(buf).Encode(&v); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}

func (gobCodec[T]) Decode(data []byte) (T, error) {
	var v T
	if len(data) == 0 {
		return v, nil // nil (see GobCodec)
	}
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(&v)
	return v, err
}

// isNil reports whether v is a nil pointer, interface, map or slice.
func isNil[T any](v T) bool {
	switch r := reflect.ValueOf(&v).Elem(); r.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return r.IsNil()
	}
	return false
}

// defaultCodec returns the codec Save and Load use for T: StringCodec for
// string, BytesCodec for []byte, GobCodec for every other type.
func defaultCodec[T any]() Codec[T] {
	var c any = gobCodec[T]{}
	switch reflect.TypeFor[T]() {
	case reflect.TypeFor[string]():
		c = stringCodec{}
	case reflect.TypeFor[[]byte]():
		c = bytesCodec{}
	}
	return c.(Codec[T])
}
