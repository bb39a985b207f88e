package jsonout

import (
	"encoding/json"
	"testing"
	"time"
)

type leg struct {
	From     string        `json:"from"`
	Duration time.Duration `json:"duration"`
}

type event struct {
	ID       string            `json:"id"`
	Created  time.Time         `json:"created"`
	Duration time.Duration     `json:"duration"`
	Cost     int               `json:"cost,omitempty"`
	Flag     bool              `json:"flag,omitempty"`
	Legs     []leg             `json:"legs,omitempty"`
	Inner    leg               `json:"inner"`
	Extra    map[string]string `json:"extra,omitempty"`
	Hidden   string
	Skipped  string `json:"-"`
}

func TestObject(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		v      event
		want   string
		reason string
	}{
		{event{ID: "a", Created: time.Date(2021, 4, 9, 16, 27, 39, 0, ist), Duration: 1500 * time.Millisecond, Cost: 3, Flag: true,
			Legs: []leg{{"+46", 20 * time.Second}}, Inner: leg{"x", 0}, Extra: map[string]string{"k": "v"}, Hidden: "h", Skipped: "s"},
			`{"id":"a","created":"2021-04-09T10:57:39Z","duration":1.5,"cost":3,"flag":true,"legs":[{"from":"+46","duration":20}],"inner":{"from":"x","duration":0},"extra":{"k":"v"}}`,
			"tags name the keys, times in UTC, durations in seconds, nested structs alike, untagged fields out"},
		{event{}, `{"id":"","duration":0,"inner":{"from":"","duration":0}}`, "zero times and omitempty zero values left out"},
	}
	for _, tt := range tests {
		got, err := Object(&tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s:\n got %s, %v\nwant %s", tt.reason, got, err, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: not valid JSON", tt.reason)
		}
	}
}
