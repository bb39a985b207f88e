package tolerant

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

var ist = time.FixedZone("IST", 5*3600+1800)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in     string
		loc    *time.Location
		want   time.Time
		err    error
		reason string
	}{
		{"2018-07-13T13:57:23.741000", nil, time.Date(2018, 7, 13, 13, 57, 23, 741000000, time.UTC), nil, "46elks docs: zone-less, microseconds, UTC"},
		{"2016-11-03 12:30:18.937464", nil, time.Date(2016, 11, 3, 12, 30, 18, 937464000, time.UTC), nil, "46elks Swagger MMS: space separator"},
		{"2016-02-21T0:00:00.23874", nil, time.Date(2016, 2, 21, 0, 0, 0, 238740000, time.UTC), nil, "46elks Postman: one-digit hour, five-digit fraction"},
		{"2016-10-01T12:00:00:00.11", nil, time.Date(2016, 10, 1, 12, 0, 0, 110000000, time.UTC), nil, "46elks Swagger: extra zero group is dropped"},
		{"2016-10-01T12:00:00:07.11", nil, time.Time{}, ErrTimeSyntax, "a non-zero extra group would be guessed at: refuse"},
		{"2025-09-22T12:56:38.547Z", nil, time.Date(2025, 9, 22, 12, 56, 38, 547000000, time.UTC), nil, "Wavix RFC 3339 with fraction"},
		{"2023-11-07T05:31:56Z", ist, time.Date(2023, 11, 7, 5, 31, 56, 0, time.UTC), nil, "an explicit zone beats loc"},
		{"2021-04-09 16:27:39", ist, time.Date(2021, 4, 9, 16, 27, 39, 0, ist), nil, "Mobtexting: zone-less read in the provider zone"},
		{"2021-04-09T16:27:39+05:30", nil, time.Date(2021, 4, 9, 16, 27, 39, 0, ist), nil, "numeric zone with colon"},
		{"2021-04-09T16:27:39-0700", nil, time.Date(2021, 4, 9, 23, 27, 39, 0, time.UTC), nil, "numeric zone without colon"},
		{"2021-04-09T16:27:39+05", nil, time.Date(2021, 4, 9, 11, 27, 39, 0, time.UTC), nil, "hour-only zone"},
		{"2021-04-09 16:27", nil, time.Date(2021, 4, 9, 16, 27, 0, 0, time.UTC), nil, "no seconds"},
		{"2021-04-09T16:27:39.1234567891", nil, time.Date(2021, 4, 9, 16, 27, 39, 123456789, time.UTC), nil, "fraction beyond nanoseconds is cut, not rounded into the next second"},
		{"2016-12-31T23:59:60Z", nil, time.Date(2016, 12, 31, 23, 59, 59, 999999999, time.UTC), nil, "leap second stays inside its minute"},
		{"2024-02-29 00:00:00", nil, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), nil, "leap day"},
		{"2023-02-29 00:00:00", nil, time.Time{}, ErrTimeRange, "no leap day in 2023"},
		{"2016-13-01T00:00:00", nil, time.Time{}, ErrTimeRange, "month 13"},
		{"2016-01-01T24:00:00", nil, time.Time{}, ErrTimeRange, "hour 24"},
		{"", nil, time.Time{}, ErrTimeSyntax, "empty is for the caller to decide"},
		{"yesterday", nil, time.Time{}, ErrTimeSyntax, "words"},
		{"1653455555", nil, time.Time{}, ErrTimeSyntax, "unix seconds are not a timestamp string"},
		{"2016-10-01T12:00:00.", nil, time.Time{}, ErrTimeSyntax, "dot without digits"},
		{"2016-10-01T12:00:00Zjunk", nil, time.Time{}, ErrTimeSyntax, "trailing junk"},
		{"2016-10-01T12:00:00+25:00", nil, time.Time{}, ErrTimeSyntax, "zone hour out of range"},
		{"2016-10-01", nil, time.Time{}, ErrTimeSyntax, "date only"},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.loc)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseTime(%q) error = %v, want %v (%s)", tt.in, err, tt.err, tt.reason)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, want %v (%s)", tt.in, got, tt.want, tt.reason)
		}
		if err == nil && tt.loc == ist && got.Location() != ist && tt.in[len(tt.in)-1] != 'Z' {
			t.Errorf("ParseTime(%q) location = %v, want the provider zone (%s)", tt.in, got.Location(), tt.reason)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		err    error
		reason string
	}{
		{"8", 8, nil, "46elks duration"},
		{" 1500 ", 1500, nil, "spaces around"},
		{"+8", 8, nil, "explicit sign"},
		{"-3", -3, nil, "negative"},
		{"9223372036854775807", 1<<63 - 1, nil, "max int64"},
		{"-9223372036854775808", -1 << 63, nil, "min int64"},
		{"9223372036854775808", 0, ErrRange, "max+1"},
		{"99999999999999999999999", 0, ErrRange, "far too long"},
		{"", 0, ErrNotInteger, "empty"},
		{"-", 0, ErrNotInteger, "sign only"},
		{"1.5", 0, ErrNotInteger, "fraction"},
		{"1e3", 0, ErrNotInteger, "exponent"},
		{"0x10", 0, ErrNotInteger, "hex"},
	}
	for _, tt := range tests {
		got, err := Int(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Int(%q) = %d, %v; want %d, %v (%s)", tt.in, got, err, tt.want, tt.err, tt.reason)
		}
	}
}

func TestSeconds(t *testing.T) {
	if d, err := Seconds("15"); err != nil || d != 15*time.Second {
		t.Errorf(`Seconds("15") = %v, %v`, d, err)
	}
	for _, in := range []string{"-1", "9223372037", "x"} {
		if _, err := Seconds(in); err == nil {
			t.Errorf("Seconds(%q) = nil error, want one: negative, overflowing or not a number", in)
		}
	}
}

func TestPhone(t *testing.T) {
	tests := []struct{ in, want, reason string }{
		{" 46706861004", "+46706861004", "raw '+' decoded as space is restored"},
		{"+46706861004", "+46706861004", "already fine"},
		{"46706861004", "46706861004", "no plus on the wire: none invented"},
		{" TestElk", " TestElk", "alphanumeric sender is never touched"},
		{" 4670 6861004", " 4670 6861004", "inner space: not a number we can restore"},
		{" ", " ", "a lone space"},
		{"", "", "empty"},
	}
	for _, tt := range tests {
		if got := Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q (%s)", tt.in, got, tt.want, tt.reason)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2018-07-13T13:57:23.741000", "2016-10-01T12:00:00:00.11", "2016-02-21T0:00:00.23874",
		"2016-11-03 12:30:18.937464", "2025-09-22T12:56:38.547Z", "2021-04-09T16:27:39+05:30", "2021-04-09 16:27"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, ist)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseTime(%q) returned %v with error %v", s, got, err)
			}
			return
		}
		// Whatever was accepted reads back to the same wall clock fields.
		if y := got.Year(); y < 0 || y > 9999 {
			t.Fatalf("ParseTime(%q) year %d", s, y)
		}
		again, err := ParseTime(got.Format("2006-01-02T15:04:05.999999999Z07:00"), ist)
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v does not round-trip: %v, %v", s, got, again, err)
		}
	})
}

func FuzzInt(f *testing.F) {
	for _, s := range []string{"8", " 1500 ", "-3", "9223372036854775807", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Int(s)
		if err != nil {
			return
		}
		m, err := Int(strconv.FormatInt(n, 10))
		if err != nil || m != n {
			t.Fatalf("Int(%q) = %d does not round-trip: %d, %v", s, n, m, err)
		}
	})
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTime("2018-07-13T13:57:23.741000", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTimeBaseline is the floor: the standard library parsing the
// same zone-less timestamp with one fixed layout.
func BenchmarkParseTimeBaseline(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := time.Parse("2006-01-02T15:04:05.999999", "2018-07-13T13:57:23.741000"); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzPhone: Phone restores a '+' or changes nothing, never more.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{" 46706861004", "+46706861004", " TestElk", " ", "", " 4670 6861004"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Phone(s)
		if got != s && got != "+"+s[1:] {
			t.Fatalf("Phone(%q) = %q", s, got)
		}
	})
}

// FuzzSeconds: an accepted value is a whole, non-negative number of seconds
// that reads back the same.
func FuzzSeconds(f *testing.F) {
	for _, s := range []string{"15", " 8 ", "0", "-1", "9223372037", "1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Seconds(s)
		if err != nil {
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("Seconds(%q) = %v", s, d)
		}
		if again, err := Seconds(strconv.FormatInt(int64(d/time.Second), 10)); err != nil || again != d {
			t.Fatalf("Seconds(%q) = %v does not read back: %v, %v", s, d, again, err)
		}
	})
}
