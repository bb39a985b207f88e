package normalize

import (
	"fmt"
	"strings"
	"time"

	"github.com/telhook/telhook"
	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/internal/tolerant"
	"github.com/telhook/telhook/obd"
	"github.com/telhook/telhook/oncall"
	"github.com/telhook/telhook/pbx3cx"
)

// Normalizer maps provider events onto the shared model. The zero
// Normalizer is ready to use.
type Normalizer struct {
	// Region is the ISO 3166 region national numbers are read in ("TR" for
	// 3CX's "05552221133"); "" leaves national numbers as sent.
	Region string
	// Location is the zone of the 3CX add-on's call ids ("230307142318_40"
	// is 2023-03-07 14:23:18 in the PBX's zone); nil means UTC. Providers
	// that send zones, or whose zone is known, are unaffected.
	Location *time.Location
}

// From maps ev with the zero Normalizer.
func From(ev any) (Event, error) { return Normalizer{}.Normalize(ev) }

// Normalize maps a provider event, as its package's Parse returns it
// (*elks.SMS, *obd.Report, *pbx3cx.Event, *pbx3cx.Call, *oncall.CallEvent,
// ...), onto the shared model. Any other value, including a provider's
// *Unknown, is an error matching telhook.ErrUnknownEvent.
func (n Normalizer) Normalize(ev any) (Event, error) {
	switch ev := ev.(type) {
	case *elks.SMS:
		return n.message(Elks, ev, &Message{ID: ev.ID, Direction: elksDirection(ev.Direction, Inbound),
			From: n.number(ev.From), To: n.number(ev.To), Body: ev.Message, State: Received, At: ev.Created}), nil
	case *elks.MMS:
		return n.message(Elks, ev, &Message{ID: ev.ID, Direction: elksDirection(ev.Direction, Inbound),
			From: n.number(ev.From), To: n.number(ev.To), Body: ev.Message, State: Received, Media: ev.Images, At: ev.Created}), nil
	case *elks.DeliveryReport:
		return n.message(Elks, ev, &Message{ID: ev.ID, Direction: Outbound, State: messageState(ev.Status), At: ev.Delivered}), nil
	case *elks.CallEvent:
		c := &Call{ID: ev.CallID, Direction: elksDirection(ev.Direction, ""), From: n.number(ev.From), To: n.number(ev.To),
			State: Answered, ProviderState: ev.Result, StartedAt: ev.Created}
		if isDTMF(ev.Result) {
			c.Digits = ev.Result
		}
		if ev.WAV != "" {
			c.Recordings = []Recording{{CallID: ev.CallID, URL: ev.WAV}}
		}
		return Event{Provider: Elks, Kind: KindCall, Call: c, Source: ev}, nil
	case *elks.Recording:
		return Event{Provider: Elks, Kind: KindRecording, Source: ev,
			Recording: &Recording{CallID: ev.CallID, URL: ev.WAV, Duration: ev.Duration, At: ev.Created}}, nil
	case *elks.CallEnd:
		return Event{Provider: Elks, Kind: KindCall, Source: ev, Call: n.elksCallEnd(ev)}, nil
	case *obd.Report:
		return Event{Provider: OBD, Kind: KindCall, Source: ev, Call: n.obdReport(ev)}, nil
	case *pbx3cx.Event:
		return n.pbxEvent(ev), nil
	case *pbx3cx.Call:
		return Event{Provider: PBX3CX, Kind: KindCall, Source: ev, Call: n.pbxCall(ev)}, nil
	case pbx3cx.Call:
		return n.Normalize(&ev)
	case *oncall.CallEvent:
		return Event{Provider: OnCall, Kind: KindCall, Source: ev, Call: n.oncallEvent(ev)}, nil
	case *oncall.PostCall:
		return Event{Provider: OnCall, Kind: KindCall, Source: ev, Call: n.oncallPostCall(ev)}, nil
	}
	return Event{}, fmt.Errorf("normalize: %T: %w", ev, telhook.ErrUnknownEvent)
}

func (n Normalizer) number(raw string) string { return Number(raw, n.Region) }

func (n Normalizer) message(p Provider, src any, m *Message) Event {
	return Event{Provider: p, Kind: KindMessage, Message: m, Source: src}
}

func elksDirection(d, empty string) string {
	switch strings.ToLower(d) {
	case "incoming":
		return Inbound
	case "outgoing":
		return Outbound
	}
	return empty
}

func messageState(status string) string {
	switch s := strings.ToLower(status); s {
	case Sent, Delivered, Failed:
		return s
	}
	return ""
}

// isDTMF reports whether s is keys a caller pressed: 0-9, * and #.
func isDTMF(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

func (n Normalizer) elksCallEnd(ev *elks.CallEnd) *Call {
	c := &Call{ID: ev.ID, Direction: elksDirection(ev.Direction, ""), From: n.number(ev.From), To: n.number(ev.To),
		ProviderState: ev.State, StartedAt: ev.Created, AnsweredAt: ev.Start, Duration: ev.Duration}
	switch strings.ToLower(ev.State) {
	case "success":
		c.State = Completed
	case "failed":
		c.State = Failed
	case "busy":
		c.State = Busy
	}
	if !ev.Start.IsZero() && ev.Duration > 0 {
		c.EndedAt = ev.Start.Add(ev.Duration)
	}
	for i := len(ev.Legs) - 1; i >= 0; i-- { // the agent is whom the last successful leg reached
		if strings.EqualFold(ev.Legs[i].State, "success") {
			c.Agent = n.number(ev.Legs[i].To)
			break
		}
	}
	return c
}

// obdStates are DESIGN's fixed mapping of Mobtexting's (Asterisk's) words.
var obdStates = map[string]string{
	"ANSWER": Completed, "COMPLETED": Completed, "RECEIVED": Completed,
	"NOANSWER": Missed, "MISSED": Missed,
	"BUSY":       Busy,
	"CANCEL":     Cancelled,
	"CONGESTION": Failed, "CHANUNAVAIL": Failed,
}

func (n Normalizer) obdReport(r *obd.Report) *Call {
	id := r.ID
	if id == "" {
		id = r.MID
	}
	from := r.From
	if from == "" {
		from = r.Bridge
	}
	c := &Call{ID: id, Direction: Outbound, From: n.number(from), To: n.number(r.To),
		State: obdStates[strings.ToUpper(r.Status)], ProviderState: r.Status,
		StartedAt: r.StartAt, EndedAt: r.EndAt, Duration: r.Duration}
	if r.RecordingURL != "" {
		c.Recordings = []Recording{{CallID: id, URL: r.RecordingURL, At: r.EndAt}}
	}
	return c
}

// pbxStarted reads the call's start from its id: "230307142318_40-2" began
// 2023-03-07 14:23:18 in the PBX's zone. Zero when the id is not of that
// shape (the add-on's own example has one with a digit lost).
func (n Normalizer) pbxStarted(callID string) time.Time {
	stamp, _, ok := strings.Cut(callID, "_")
	if !ok || len(stamp) != 12 || !tolerant.Digits(stamp) {
		return time.Time{}
	}
	loc := n.Location
	if loc == nil {
		loc = time.UTC
	}
	t, err := time.ParseInLocation("060102150405", stamp, loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

func pbxDID(did string) string {
	if strings.EqualFold(did, "empty") { // Creomate's word for none
		return ""
	}
	return did
}

// pbxEnds reads a 3CX direction into the call's ends: the external party
// (Callerid) is From on inbound calls and To on outbound ones.
func (n Normalizer) pbxEnds(c *Call, outbound bool, external, ext, did string) {
	if outbound {
		c.Direction, c.From, c.To = Outbound, n.number(ext), n.number(external)
		return
	}
	c.Direction, c.From = Inbound, n.number(external)
	if c.To = n.number(pbxDID(did)); c.To == "" {
		c.To = ext
	}
}

func (n Normalizer) pbxEvent(ev *pbx3cx.Event) Event {
	id := ev.CallID()
	c := &Call{ID: id, ProviderState: ev.Type, StartedAt: n.pbxStarted(id), Duration: ev.Duration}
	n.pbxEnds(c, ev.Outbound(), ev.CallerID, ev.User, ev.DID)
	switch {
	case ev.Type == pbx3cx.Ringing || ev.Type == pbx3cx.Dialing:
		c.State = Ringing
	case ev.IsStart():
		c.State, c.Agent = Answered, ev.User
	case ev.IsEnd() && ev.FinishType == pbx3cx.FinishOk:
		c.State, c.Agent = Completed, ev.User
	case ev.IsEnd() && ev.FinishType == pbx3cx.FinishMissed:
		c.State = Missed
	}
	if ev.IsEnd() && ev.FinishType != "" {
		c.ProviderState = ev.Type + ":" + ev.FinishType
	}
	for _, u := range ev.RecordingURLs {
		c.Recordings = append(c.Recordings, Recording{CallID: id, URL: u})
	}
	if ev.Type == pbx3cx.Recording {
		c.Agent = ev.User
		e := Event{Provider: PBX3CX, Kind: KindRecording, Call: c, Source: ev}
		if len(c.Recordings) > 0 {
			r := c.Recordings[0]
			e.Recording = &r
		}
		return e
	}
	return Event{Provider: PBX3CX, Kind: KindCall, Call: c, Source: ev}
}

func (n Normalizer) pbxCall(pc *pbx3cx.Call) *Call {
	c := &Call{ID: pc.ID, StartedAt: n.pbxStarted(pc.ID), Duration: pc.TalkTime}
	ext := pc.Dialer
	if len(pc.Path) > 0 && ext == "" {
		ext = pc.Path[0].User
	}
	n.pbxEnds(c, pc.Direction == "outbound", pc.CallerID, ext, pc.DID)
	if len(pc.Segments) > 0 {
		c.Agent = pc.Segments[len(pc.Segments)-1].Agent
	}
	switch {
	case pc.Missed:
		c.State, c.ProviderState = Missed, pbx3cx.FinishMissed
	case pc.Answered && pc.Complete:
		c.State, c.ProviderState = Completed, pbx3cx.FinishOk
	case pc.Answered:
		c.State = Answered
	}
	for _, u := range pc.RecordingURLs {
		c.Recordings = append(c.Recordings, Recording{CallID: pc.ID, URL: u})
	}
	return c
}

// oncallStates maps Wavix's event_type onto the state of the same name.
var oncallStates = map[string]string{
	"call_setup": Initiated, "ringing": Ringing, "early_media": Ringing, "answered": Answered,
	"completed": Completed, "busy": Busy, "cancelled": Cancelled, "rejected": Rejected, "failed": Failed,
	"on_call_event": Answered, "in_call_event": Answered, "transfer": Answered,
}

func (n Normalizer) oncallEvent(ev *oncall.CallEvent) *Call {
	c := &Call{ID: ev.UUID, Direction: strings.ToLower(ev.Direction), From: n.number(ev.From), To: n.number(ev.To),
		State: oncallStates[strings.ToLower(ev.EventType)], ProviderState: ev.EventType, Digits: ev.Payload.Digits, Tag: ev.Tag,
		StartedAt: ev.CallStarted, AnsweredAt: ev.CallAnswered, EndedAt: ev.CallCompleted}
	if c.Direction != Inbound && c.Direction != Outbound {
		c.Direction = ""
	}
	if d := ev.CallCompleted.Sub(ev.CallAnswered); !ev.CallAnswered.IsZero() && !ev.CallCompleted.IsZero() && d > 0 {
		c.Duration = d
	}
	return c
}

func (n Normalizer) oncallPostCall(ev *oncall.PostCall) *Call {
	c := &Call{ID: ev.UUID, Direction: strings.ToLower(ev.Direction), From: n.number(ev.From), To: n.number(ev.To),
		ProviderState: ev.Disposition, StartedAt: ev.Date, Duration: ev.Duration}
	switch strings.ToLower(ev.Disposition) {
	case "answered":
		c.State = Completed
	case "noanswer":
		c.State = Missed
	case "busy":
		c.State = Busy
	case "failed":
		c.State = Failed
	}
	if c.Direction != Inbound && c.Direction != Outbound {
		c.Direction = ""
	}
	return c
}
