package kit

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetQueryToken(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		target string
		param  string
		token  string
		first  bool
		want   string
	}{
		{"none", "the first pair", "/", "key", "s3cret", false, "/?key=s3cret"},
		{"none first", "the first pair, first or last", "/", "key", "s3cret", true, "/?key=s3cret"},
		{"escaped", "the token is escaped", "/", "key", "a b&c", false, "/?key=a+b%26c"},
		{"kept as written", "loosely encoded pairs stay exactly as they were", "/?title=a:b%20(0:07)&id=1", "key", "k", false, "/?title=a:b%20(0:07)&id=1&key=k"},
		{"first", "the parameter before the others, as a secret in the webhook URL comes", "/?title=a:b%20(0:07)&id=1", "key", "k", true, "/?key=k&title=a:b%20(0:07)&id=1"},
		{"replaced", "every earlier value of the parameter goes", "/?key=old&a=1&k%65y=older", "key", "new", false, "/?a=1&key=new"},
		{"replaced first", "every earlier value goes, wherever it was", "/?a=1&key=old&b=2", "key", "new", true, "/?key=new&a=1&b=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := SetQueryToken(httptest.NewRequest("GET", tt.target, nil), tt.param, tt.token, tt.first)
			if r.RequestURI != tt.want || r.URL.RequestURI() != tt.want {
				t.Errorf("%s: RequestURI %q, URL %q, want %q", tt.reason, r.RequestURI, r.URL.RequestURI(), tt.want)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		values url.Values
		first  []string
		want   string
	}{
		{"order", "first keys in their order, the others sorted", url.Values{"b": {"2"}, "z": {"3"}, "a": {"1"}, "id": {"x"}}, []string{"z", "id", "missing"}, "z=3&id=x&a=1&b=2"},
		{"escape", "keys and values escaped as url.Values.Encode does", url.Values{"a b": {"+&="}}, nil, "a+b=%2B%26%3D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Query(tt.values, tt.first...)); diff != "" {
				t.Errorf("%s: (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestObject(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		build  func(*Object)
		want   string
	}{
		{"empty", "no member is an empty object", func(*Object) {}, `{}`},
		{"order", "members in the order set; HTML characters not escaped", func(o *Object) { o.Set("z", "<a&b>"); o.Set("a", 1) }, `{"z":"<a&b>","a":1}`},
		{"raw", "a json.RawMessage is written as it is", func(o *Object) { var in Object; in.Set("x", nil); o.Set("p", json.RawMessage(in.Bytes())) }, `{"p":{"x":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Object
			tt.build(&o)
			if diff := cmp.Diff(tt.want, string(o.Bytes())); diff != "" {
				t.Errorf("%s: (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}
