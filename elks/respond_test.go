package elks

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// voicemail is the 46elks voicemail.js flow: ring for 15 seconds, and when
// the line is busy or nobody answers play a greeting and record a message.
func voicemail() Connect {
	leaveMessage := Play{
		Sound: "https://example.com/voicemail.mp3",
		Next:  Record{To: "https://example.com/recording", TimeLimit: 60, SilenceDetection: true},
	}
	return Connect{
		To:      "+46704508449",
		Timeout: 15,
		Busy:    leaveMessage,
		Failed:  leaveMessage,
	}
}

const voicemailJSON = `{"connect":"+46704508449","timeout":15,` +
	`"busy":{"play":"https://example.com/voicemail.mp3","next":{"record":"https://example.com/recording","timelimit":60,"silencedetection":"yes"}},` +
	`"failed":{"play":"https://example.com/voicemail.mp3","next":{"record":"https://example.com/recording","timelimit":60,"silencedetection":"yes"}}}`

// voicemailMap is what voicemailJSON decodes to with encoding/json.
func voicemailMap() map[string]any {
	leaveMessage := map[string]any{
		"play": "https://example.com/voicemail.mp3",
		"next": map[string]any{"record": "https://example.com/recording", "timelimit": 60.0, "silencedetection": "yes"},
	}
	return map[string]any{"connect": "+46704508449", "timeout": 15.0, "busy": leaveMessage, "failed": leaveMessage}
}

// chain returns n Play actions, each the Next of the one before.
func chain(n int) Action {
	var a Action
	for range n {
		a = Play{Sound: "sound/beep", Next: a}
	}
	return a
}

func TestEncodeAction(t *testing.T) {
	cases := []struct {
		reason string
		action Action
		want   string         // byte-exact JSON
		shape  map[string]any // what want decodes to with encoding/json
	}{
		{
			reason: "the spec example (Swagger) must come out byte-exact",
			action: Connect{To: "+46723175800", Busy: Connect{To: "+46731704032"}},
			want:   `{"connect":"+46723175800","busy":{"connect":"+46731704032"}}`,
			shape:  map[string]any{"connect": "+46723175800", "busy": map[string]any{"connect": "+46731704032"}},
		},
		{
			reason: "the voicemail example: connect with timeout, busy and failed play then record",
			action: voicemail(),
			want:   voicemailJSON,
			shape:  voicemailMap(),
		},
		{
			reason: "every Connect option, in the fixed key order, URL branches as plain strings",
			action: Connect{
				To:         "+46704508449",
				CallerID:   "+46766861004",
				Timeout:    20,
				Busy:       URL("https://example.com/busy"),
				Failed:     Hangup{Reason: "reject"},
				Next:       URL("https://example.com/next?step=2&x=y"),
				WhenHangup: "https://user:pass@example.com/hangup",
				RecordCall: "http://example.com/rec",
			},
			want: `{"connect":"+46704508449","callerid":"+46766861004","timeout":20,"busy":"https://example.com/busy",` +
				`"failed":{"hangup":"reject"},"next":"https://example.com/next?step=2&x=y",` +
				`"whenhangup":"https://user:pass@example.com/hangup","recordcall":"http://example.com/rec"}`,
			shape: map[string]any{
				"connect": "+46704508449", "callerid": "+46766861004", "timeout": 20.0,
				"busy": "https://example.com/busy", "failed": map[string]any{"hangup": "reject"},
				"next": "https://example.com/next?step=2&x=y", "whenhangup": "https://user:pass@example.com/hangup",
				"recordcall": "http://example.com/rec",
			},
		},
		{
			reason: "a comma list rings simultaneously and is written exactly as given",
			action: Connect{To: "+46704508449, +46704508450 ,+4634090510"},
			want:   `{"connect":"+46704508449, +46704508450 ,+4634090510"}`,
			shape:  map[string]any{"connect": "+46704508449, +46704508450 ,+4634090510"},
		},
		{
			reason: "zero values are omitted",
			action: Connect{To: "+46704508449", Timeout: 0, Busy: nil, Next: (*Play)(nil)},
			want:   `{"connect":"+46704508449"}`,
			shape:  map[string]any{"connect": "+46704508449"},
		},
		{
			reason: "play a URL, skippable, with a URL next",
			action: Play{Sound: "https://example.com/hello.mp3", Skippable: true, Next: URL("https://example.com/after")},
			want:   `{"play":"https://example.com/hello.mp3","skippable":true,"next":"https://example.com/after"}`,
			shape:  map[string]any{"play": "https://example.com/hello.mp3", "skippable": true, "next": "https://example.com/after"},
		},
		{
			reason: "play 46elks resources: beep then DTMF with pauses",
			action: Play{Sound: "sound/beep", Next: Play{Sound: "sound/dtmf/123p4"}},
			want:   `{"play":"sound/beep","next":{"play":"sound/dtmf/123p4"}}`,
			shape:  map[string]any{"play": "sound/beep", "next": map[string]any{"play": "sound/dtmf/123p4"}},
		},
		{
			reason: "TTS text is JSON-escaped correctly, without escaping <, >, &, + or / needlessly",
			action: Play{Sound: "sv_SE/Hej \"du\" & välkommen <3>\n\ttab\\ +1/2 \u2028"},
			want:   `{"play":"sv_SE/Hej \"du\" & välkommen <3>\n\ttab\\ +1/2 \u2028"}`,
			shape:  map[string]any{"play": "sv_SE/Hej \"du\" & välkommen <3>\n\ttab\\ +1/2 \u2028"},
		},
		{
			reason: "IVR options mix action and URL branches, digit keys sorted, next last",
			action: IVR{
				Prompt:  "https://example.com/menu.mp3",
				Digits:  1,
				Timeout: 10,
				Repeat:  3,
				Options: map[string]Action{
					"9": Hangup{Reason: "reject"},
					"2": URL("https://example.com/sales"),
					"1": Connect{To: "+46704508449"},
				},
				Next: URL("https://example.com/ivr-result"),
			},
			want: `{"ivr":"https://example.com/menu.mp3","digits":1,"timeout":10,"repeat":3,` +
				`"1":{"connect":"+46704508449"},"2":"https://example.com/sales","9":{"hangup":"reject"},` +
				`"next":"https://example.com/ivr-result"}`,
			shape: map[string]any{
				"ivr": "https://example.com/menu.mp3", "digits": 1.0, "timeout": 10.0, "repeat": 3.0,
				"1": map[string]any{"connect": "+46704508449"}, "2": "https://example.com/sales",
				"9": map[string]any{"hangup": "reject"}, "next": "https://example.com/ivr-result",
			},
		},
		{
			reason: "multi-digit IVR keys sort by string; * and # are keys too; nil options are omitted",
			action: IVR{
				Prompt: "en_US/Enter your extension",
				Digits: 2,
				Options: map[string]Action{
					"2":  URL("https://example.com/2"),
					"10": URL("https://example.com/10"),
					"#":  URL("https://example.com/hash"),
					"*9": URL("https://example.com/star9"),
					"3":  nil,
				},
			},
			want: `{"ivr":"en_US/Enter your extension","digits":2,"#":"https://example.com/hash","*9":"https://example.com/star9",` +
				`"10":"https://example.com/10","2":"https://example.com/2"}`,
			shape: map[string]any{
				"ivr": "en_US/Enter your extension", "digits": 2.0, "#": "https://example.com/hash",
				"*9": "https://example.com/star9", "10": "https://example.com/10", "2": "https://example.com/2",
			},
		},
		{
			reason: "record with silencedetection written as the string yes",
			action: Record{To: "https://example.com/rec", TimeLimit: 60, SilenceDetection: true, Next: Hangup{Reason: "reject"}},
			want:   `{"record":"https://example.com/rec","timelimit":60,"silencedetection":"yes","next":{"hangup":"reject"}}`,
			shape: map[string]any{
				"record": "https://example.com/rec", "timelimit": 60.0, "silencedetection": "yes",
				"next": map[string]any{"hangup": "reject"},
			},
		},
		{
			reason: "record to local storage, silencedetection false is omitted",
			action: Record{To: "local/voicemail-1"},
			want:   `{"record":"local/voicemail-1"}`,
			shape:  map[string]any{"record": "local/voicemail-1"},
		},
		{
			reason: "hangup busy as the first action",
			action: Hangup{Reason: "busy"},
			want:   `{"hangup":"busy"}`,
			shape:  map[string]any{"hangup": "busy"},
		},
		{
			reason: "hangup reject as the first action",
			action: Hangup{Reason: "reject"},
			want:   `{"hangup":"reject"}`,
			shape:  map[string]any{"hangup": "reject"},
		},
		{
			reason: "hangup 404 as the first action",
			action: Hangup{Reason: "404"},
			want:   `{"hangup":"404"}`,
			shape:  map[string]any{"hangup": "404"},
		},
		{
			reason: "pointers to actions are read as the values they point to",
			action: &Connect{To: "+46723175800", Busy: &Play{Sound: "sound/beep"}, Next: func() *URL { u := URL("https://example.com/n"); return &u }()},
			want:   `{"connect":"+46723175800","busy":{"play":"sound/beep"},"next":"https://example.com/n"}`,
			shape:  map[string]any{"connect": "+46723175800", "busy": map[string]any{"play": "sound/beep"}, "next": "https://example.com/n"},
		},
		{
			reason: "nesting exactly maxDepth actions deep is allowed",
			action: chain(maxDepth),
			want:   strings.Repeat(`{"play":"sound/beep","next":`, maxDepth-1) + `{"play":"sound/beep"}` + strings.Repeat("}", maxDepth-1),
			shape:  chainMap(maxDepth),
		},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got, err := encodeAction(tc.action)
			if err != nil {
				t.Fatalf("%s\nencodeAction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("%s\nencodeAction(...): -want, +got:\n%s", tc.reason, diff)
			}
			var m map[string]any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Fatalf("%s\njson.Unmarshal(encodeAction(...)): %v\n%s", tc.reason, err, got)
			}
			if diff := cmp.Diff(tc.shape, m); diff != "" {
				t.Errorf("%s\nencodeAction(...) decoded by encoding/json: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// chainMap is what chain(n) decodes to.
func chainMap(n int) map[string]any {
	var m map[string]any
	for range n {
		next := m
		m = map[string]any{"play": "sound/beep"}
		if next != nil {
			m["next"] = next
		}
	}
	return m
}

func TestEncodeActionInvalid(t *testing.T) {
	loop := map[string]Action{}
	loop["1"] = IVR{Prompt: "sound/beep", Options: loop}
	selfNext := &Play{Sound: "sound/beep"}
	selfNext.Next = selfNext

	cases := []struct {
		reason string
		action Action
		want   string // the start of the message after "elks: invalid action: ": path and field
	}{
		{"a nil answer is not an action", nil, "no action"},
		{"a nil pointer answer is not an action", (*Connect)(nil), "no action"},
		{"a URL is only valid as a branch", URL("https://example.com/next"), "url: a URL is only valid as a branch"},

		{"connect.to is required", Connect{}, "connect: to is required"},
		{"connect.to must be E.164 (national number)", Connect{To: "0704508449"}, `connect: to "0704508449" is not an E.164`},
		{"connect.to must be E.164 (first digit 0)", Connect{To: "+0704508449"}, `connect: to "+0704508449"`},
		{"connect.to must be E.164 (more than 15 digits)", Connect{To: "+1234567890123456"}, `connect: to "+1234567890123456"`},
		{"connect.to must be E.164 (one digit)", Connect{To: "+4"}, `connect: to "+4"`},
		{"connect.to must be E.164 (letters)", Connect{To: "+46TestElk"}, `connect: to "+46TestElk"`},
		{"connect.to list: every part is checked", Connect{To: "+46704508449, 0704508450"}, `connect: to "0704508450"`},
		{"connect.to list: no empty part", Connect{To: "+46704508449,"}, `connect: to ""`},
		{"connect.callerid must be E.164", Connect{To: "+46704508449", CallerID: "TestElk"}, `connect: callerid "TestElk"`},
		{"connect.timeout must not be negative", Connect{To: "+46704508449", Timeout: -1}, "connect: timeout -1 is negative"},
		{"connect.whenhangup must be an http(s) URL", Connect{To: "+46704508449", WhenHangup: "ftp://example.com/x"}, `connect: whenhangup "ftp://example.com/x"`},
		{"connect.recordcall must be absolute", Connect{To: "+46704508449", RecordCall: "/rec"}, `connect: recordcall "/rec"`},
		{
			"the spec's error example: a nested play with an ftp sound",
			Connect{To: "+46704508449", Busy: Play{Sound: "ftp://x"}},
			`connect.busy.play: sound "ftp://x" is not an http(s) URL`,
		},
		{"a URL branch must be http(s)", Connect{To: "+46704508449", Busy: URL("ftp://example.com/x")}, `connect.busy: url "ftp://example.com/x"`},
		{"a URL branch needs a host", Connect{To: "+46704508449", Failed: URL("https://")}, `connect.failed: url "https://"`},
		{"a URL branch must be absolute", Connect{To: "+46704508449", Next: URL("next")}, `connect.next: url "next"`},
		{"a URL branch has no spaces", Play{Sound: "sound/beep", Next: URL("https://example.com/a b")}, `play.next: url "https://example.com/a b"`},
		{"a URL branch must be valid UTF-8", Play{Sound: "sound/beep", Next: URL("https://example.com/\xff")}, `play.next: url "https://example.com/\xff"`},

		{"play.sound is required", Play{}, "play: sound is required"},
		{"play.sound: a bare word is no resource", Play{Sound: "beep"}, `play: sound "beep" is neither`},
		{"play.sound: a resource needs a rest after '/'", Play{Sound: "sound/"}, `play: sound "sound/" is neither`},
		{"play.sound: a resource needs a part before '/'", Play{Sound: "/beep"}, `play: sound "/beep" is neither`},
		{"play.sound must be valid UTF-8", Play{Sound: "en_US/\xff"}, `play: sound "en_US/\xff" is neither`},
		{"play.next is validated as a nested action", Play{Sound: "sound/beep", Next: Record{}}, "play.next.record: to is required"},

		{"ivr.prompt is required", IVR{}, "ivr: prompt is required"},
		{"ivr.prompt: only http(s) URLs", IVR{Prompt: "file:///menu.wav"}, `ivr: prompt "file:///menu.wav" is not an http(s) URL`},
		{"ivr.digits must not be negative", IVR{Prompt: "sound/beep", Digits: -1}, "ivr: digits -1 is negative"},
		{"ivr.timeout is at most 30", IVR{Prompt: "sound/beep", Timeout: 31}, "ivr: timeout 31 is not between 1 and 30"},
		{"ivr.timeout must not be negative", IVR{Prompt: "sound/beep", Timeout: -1}, "ivr: timeout -1 is not between 1 and 30"},
		{"ivr.repeat must not be negative", IVR{Prompt: "sound/beep", Repeat: -2}, "ivr: repeat -2 is negative"},
		{"ivr option keys are not empty", IVR{Prompt: "sound/beep", Options: map[string]Action{"": URL("https://example.com")}}, `ivr: option "" is not made of`},
		{"ivr option keys are digits", IVR{Prompt: "sound/beep", Options: map[string]Action{"next": URL("https://example.com")}}, `ivr: option "next" is not made of`},
		{"ivr option keys are at most one digit by default", IVR{Prompt: "sound/beep", Options: map[string]Action{"12": URL("https://example.com")}}, `ivr: option "12" is longer than digits (1)`},
		{"ivr option keys are at most Digits long", IVR{Prompt: "sound/beep", Digits: 2, Options: map[string]Action{"123": URL("https://example.com")}}, `ivr: option "123" is longer than digits (2)`},
		{"ivr options are validated as nested actions", IVR{Prompt: "sound/beep", Options: map[string]Action{"1": Connect{To: "112"}}}, `ivr.1.connect: to "112"`},
		{"ivr URL options are validated", IVR{Prompt: "sound/beep", Options: map[string]Action{"2": URL("mailto:x@example.com")}}, `ivr.2: url "mailto:x@example.com"`},
		{"ivr.next is validated", IVR{Prompt: "sound/beep", Next: Hangup{Reason: "busy"}}, `ivr.next.hangup: reason "busy"`},

		{"record.to is required", Record{}, "record: to is required"},
		{"record.to: local needs a name", Record{To: "local/"}, `record: to "local/" is neither`},
		{"record.to: no other schemes", Record{To: "ftp://example.com/rec"}, `record: to "ftp://example.com/rec" is neither`},
		{"record.to: not a bare name", Record{To: "voicemail"}, `record: to "voicemail" is neither`},
		{"record.timelimit must not be negative", Record{To: "local/x", TimeLimit: -5}, "record: timelimit -5 is negative"},

		{"hangup.reason is required", Hangup{}, "hangup: reason is required"},
		{"hangup.reason is busy, reject or 404", Hangup{Reason: "bye"}, `hangup: reason "bye" is not`},
		{"hangup.reason is case-sensitive", Hangup{Reason: "Busy"}, `hangup: reason "Busy" is not`},
		{"a nested hangup may only reject (busy)", Connect{To: "+46704508449", Busy: Hangup{Reason: "busy"}}, `connect.busy.hangup: reason "busy": only "reject"`},
		{"a nested hangup may only reject (404 in an IVR option)", IVR{Prompt: "sound/beep", Options: map[string]Action{"0": Hangup{Reason: "404"}}}, `ivr.0.hangup: reason "404": only "reject"`},
		{"a nested hangup may only reject (next)", Record{To: "local/x", Next: Hangup{Reason: "404"}}, `record.next.hangup: reason "404"`},

		{"nesting is limited", chain(maxDepth + 1), "play.next.play.next"},
		{"an IVR whose options map contains itself does not recurse forever", IVR{Prompt: "sound/beep", Options: loop}, "ivr.1.ivr.1.ivr"},
		{"a pointer cycle does not recurse forever", selfNext, "play.next.play.next"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got, err := encodeAction(tc.action)
			if !errors.Is(err, ErrInvalidAction) {
				t.Fatalf("%s\nencodeAction(...): got error %v and %s, want an error matching ErrInvalidAction", tc.reason, err, got)
			}
			if got != nil {
				t.Errorf("%s\nencodeAction(...): got output %s with an error, want none", tc.reason, got)
			}
			if want := "elks: invalid action: " + tc.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s\nencodeAction(...): error\n%q\ndoes not start with\n%q", tc.reason, err, want)
			}
		})
	}
}

func TestEncodeActionErrorMessage(t *testing.T) {
	_, err := encodeAction(Connect{To: "+46723175800", Busy: Play{Sound: "ftp://x"}})
	want := `elks: invalid action: connect.busy.play: sound "ftp://x" is not an http(s) URL`
	if err == nil || err.Error() != want {
		t.Errorf("the documented error example: got %v, want %s", err, want)
	}
	_, err = encodeAction(chain(maxDepth + 1))
	if err == nil || !strings.HasSuffix(err.Error(), ": actions nested more than 32 deep") {
		t.Errorf("depth limit: got %v, want it to say the actions nest more than 32 deep", err)
	}
	_, err = encodeAction(Play{Sound: "en_US/" + strings.Repeat("å", 100) + "\x01"})
	if err != nil {
		t.Fatalf("a long TTS is valid: %v", err)
	}
	_, err = encodeAction(Play{Sound: "en_US" + strings.Repeat("å", 100)})
	if err == nil || len(err.Error()) > 200 || !utf8.ValidString(err.Error()) {
		t.Errorf("long values are cut in error messages, on a rune boundary: got %q", err)
	}
}

func TestEncodeActionDeterministic(t *testing.T) {
	menu := IVR{Prompt: "sound/beep", Options: map[string]Action{}}
	for _, k := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"} {
		menu.Options[k] = URL("https://example.com/" + k)
	}
	menu.Options["5"] = voicemail()
	for _, a := range []Action{voicemail(), menu} {
		first, err := encodeAction(a)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			got, err := encodeAction(a)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, got) {
				t.Fatalf("the same action encoded twice differs (run %d):\n%s\n%s", i, first, got)
			}
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	cases := []struct {
		reason string
		value  any
		action Action
	}{
		{"Connect", voicemail(), voicemail()},
		{"Play", Play{Sound: "sound/beep", Skippable: true, Next: URL("https://example.com/n")}, Play{Sound: "sound/beep", Skippable: true, Next: URL("https://example.com/n")}},
		{"IVR", IVR{Prompt: "sound/beep", Options: map[string]Action{"1": Hangup{Reason: "reject"}}}, IVR{Prompt: "sound/beep", Options: map[string]Action{"1": Hangup{Reason: "reject"}}}},
		{"Record", Record{To: "local/x", SilenceDetection: true}, Record{To: "local/x", SilenceDetection: true}},
		{"Hangup", Hangup{Reason: "404"}, Hangup{Reason: "404"}},
		{"pointer to Connect", &Connect{To: "+46723175800"}, Connect{To: "+46723175800"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			want, err := encodeAction(tc.action)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatalf("%s: json.Marshal: %v", tc.reason, err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s: json.Marshal differs from encodeAction: -encodeAction, +json.Marshal:\n%s", tc.reason, diff)
			}
		})
	}

	t.Run("inside another value, through the Action interface", func(t *testing.T) {
		got, err := json.Marshal(struct{ A Action }{Connect{To: "+46723175800"}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(`{"A":{"connect":"+46723175800"}}`, string(got)); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
	})

	t.Run("an invalid action fails json.Marshal with ErrInvalidAction", func(t *testing.T) {
		for _, v := range []any{Connect{}, Play{}, IVR{}, Record{}, Hangup{}} {
			if _, err := json.Marshal(v); !errors.Is(err, ErrInvalidAction) {
				t.Errorf("json.Marshal(%#v): got %v, want an error matching ErrInvalidAction", v, err)
			}
		}
	})

	t.Run("json.Encoder without HTML escaping keeps the bytes of encodeAction", func(t *testing.T) {
		// json.Marshal re-escapes <, > and & in MarshalJSON output; the JSON
		// means the same, but only an Encoder with SetEscapeHTML(false) keeps
		// it byte for byte.
		a := Play{Sound: "en_US/Fish & chips <3", Next: URL("https://example.com/?a=1&b=2")}
		want, err := encodeAction(a)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want)+"\n", buf.String()); diff != "" {
			t.Errorf("-encodeAction, +Encoder:\n%s", diff)
		}
		var viaMarshal, direct any
		escaped, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(escaped, &viaMarshal); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &direct); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(direct, viaMarshal); diff != "" {
			t.Errorf("json.Marshal changes the meaning: -encodeAction, +json.Marshal:\n%s", diff)
		}
	})
}

func TestEncodeReply(t *testing.T) {
	cases := []struct {
		reason      string
		reply       Reply
		status      int
		contentType string
		body        string
	}{
		{"the zero Reply answers 204 with no body", Reply{}, 204, "", ""},
		{"Text is the text/plain body, exactly", Reply{Text: "The current time is 08:14."}, 200, "text/plain; charset=utf-8", "The current time is 08:14."},
		{"Text is sent as is, whatever it contains", Reply{Text: "Hej & <välkommen>\n\"ok\""}, 200, "text/plain; charset=utf-8", "Hej & <välkommen>\n\"ok\""},
		{"Forward is a JSON forward action", Reply{Forward: "+46704508449"}, 200, "application/json", `{"forward":"+46704508449"}`},
		{"a text that looks like a JSON action is wrapped, never taken for one", Reply{Text: `{"forward":"+46704508449"}`}, 200, "application/json", `{"reply":"{\"forward\":\"+46704508449\"}"}`},
		{"leading space does not hide JSON-looking text", Reply{Text: " [1,2]"}, 200, "application/json", `{"reply":" [1,2]"}`},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			status, ct, body, err := encodeReply(tc.reply)
			if err != nil {
				t.Fatalf("%s: unexpected error %v", tc.reason, err)
			}
			if status != tc.status || ct != tc.contentType {
				t.Errorf("%s: got status %d, content type %q; want %d, %q", tc.reason, status, ct, tc.status, tc.contentType)
			}
			if diff := cmp.Diff(tc.body, string(body)); diff != "" {
				t.Errorf("%s: body: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.status == 204 && body != nil {
				t.Errorf("%s: a 204 answer has no body, got %q", tc.reason, body)
			}
			if ct == "application/json" {
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("%s: %v", tc.reason, err)
				}
				want := map[string]any{"forward": tc.reply.Forward}
				if tc.reply.Text != "" {
					want = map[string]any{"reply": tc.reply.Text}
				}
				if diff := cmp.Diff(want, m); diff != "" {
					t.Errorf("%s: decoded body: -want, +got:\n%s", tc.reason, diff)
				}
			}
		})
	}

	invalid := []struct {
		reason string
		reply  Reply
		want   string
	}{
		{"Text and Forward both set", Reply{Text: "hi", Forward: "+46704508449"}, "reply: text and forward are both set"},
		{"Forward must be E.164", Reply{Forward: "0704508449"}, `reply: forward "0704508449" is not an E.164 number`},
		{"Forward must not be alphanumeric", Reply{Forward: "TestElk"}, `reply: forward "TestElk"`},
		{"Text must be valid UTF-8", Reply{Text: "caf\xe9"}, "reply: text is not valid UTF-8"},
	}
	for _, tc := range invalid {
		t.Run(tc.reason, func(t *testing.T) {
			status, ct, body, err := encodeReply(tc.reply)
			if !errors.Is(err, ErrInvalidAction) {
				t.Fatalf("%s: got error %v, want one matching ErrInvalidAction", tc.reason, err)
			}
			if status != 0 || ct != "" || body != nil {
				t.Errorf("%s: got %d %q %q with an error, want nothing", tc.reason, status, ct, body)
			}
			if want := "elks: invalid action: " + tc.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: error\n%q\ndoes not start with\n%q", tc.reason, err, want)
			}
		})
	}
}

// FuzzAppendString checks the hand-written JSON string escaper against
// encoding/json: the output is always valid JSON and decodes to what
// encoding/json's own encoding of the same string decodes to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "sound/beep", "a\"b\\c", "\x00\x1f\x7f", "é\u2028\u2029", "\xff\xfe", "<&>", "+46/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("appendString(%q) = %s: not valid JSON", s, got)
		}
		ref, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var a, b string
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("appendString(%q) decodes to %q, encoding/json's to %q", s, a, b)
		}
		if utf8.ValidString(s) && a != s {
			t.Errorf("appendString(%q) decodes to %q", s, a)
		}
	})
}

func BenchmarkEncodeAction(b *testing.B) {
	var a Action = voicemail() // as a callback returns it
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeAction(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeActionBaseline_JSONMap is the baseline for
// BenchmarkEncodeAction: encoding/json on an equivalent map, with no
// validation and key order left to encoding/json.
func BenchmarkEncodeActionBaseline_JSONMap(b *testing.B) {
	m := voicemailMap()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}

// The strings of an answer: a URL with a query, a TTS text, a number.
var answerStrings = []string{"https://example.com/hooks/elks/next?step=2&lang=sv", "en_US/Press one for sales, two for support.", "+46704508449"}

// BenchmarkAppendString is what the hand-written escaper costs for the
// strings of one answer; BenchmarkAppendStringBaseline_JSONEncoder is the
// same with encoding/json (an Encoder with HTML escaping off, reused, as
// the encoder would have to use it to keep '&' in URLs as it is).
func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, s := range answerStrings {
			buf = appendString(buf, s)
		}
	}
}

func BenchmarkAppendStringBaseline_JSONEncoder(b *testing.B) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		for _, s := range answerStrings {
			if err := enc.Encode(s); err != nil {
				b.Fatal(err)
			}
			buf.Truncate(buf.Len() - 1) // Encode ends with a newline
		}
	}
}
