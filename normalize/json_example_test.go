package normalize_test

import (
	"encoding/json"
	"fmt"

	"github.com/telhook/telhook/elks"
	"github.com/telhook/telhook/normalize"
	"github.com/telhook/telhook/obd"
)

// The JSON of a normalized message: 46elks' documented SMS.
func ExampleEvent_message() {
	sms, _ := elks.Decode([]byte("direction=incoming&id=sf8425555e5d8db61dda7a7b3f1b91bdb&from=%2B46706861004" +
		"&to=%2B46706860000&created=2018-07-13T13%3A57%3A23.741000&message=Hello%20how%20are%20you%3F"))
	printJSON(normalize.From(sms))
	// Output:
	// {
	//   "provider": "elks",
	//   "kind": "message",
	//   "message": {
	//     "id": "sf8425555e5d8db61dda7a7b3f1b91bdb",
	//     "direction": "inbound",
	//     "from": "+46706861004",
	//     "to": "+46706860000",
	//     "body": "Hello how are you?",
	//     "state": "received",
	//     "at": "2018-07-13T13:57:23.741Z"
	//   },
	//   "source": {
	//     "id": "sf8425555e5d8db61dda7a7b3f1b91bdb",
	//     "from": "+46706861004",
	//     "to": "+46706860000",
	//     "message": "Hello how are you?",
	//     "direction": "incoming",
	//     "created": "2018-07-13T13:57:23.741Z"
	//   }
	// }
}

// The JSON of a normalized call: Mobtexting's Click2Call report, its times
// read in India's zone and written in UTC, its durations in seconds.
func ExampleEvent_call() {
	rep, _ := obd.Decode([]byte(`{"bridge": "918068281234", "from": "918919521234", "to": "flow:220", "source": "C2C",
		"start_at": "2021-04-09 16:27:39", "end_at": "2021-04-09 16:27:55", "duration": "23", "billing": "12",
		"status": "COMPLETED", "status1": "RECEIVED", "status2": "ANSWER", "hangup_by": "agent", "flow_id": "220"}`))
	printJSON(normalize.From(rep))
	// Output:
	// {
	//   "provider": "obd",
	//   "kind": "call",
	//   "call": {
	//     "id": "",
	//     "direction": "outbound",
	//     "from": "+918919521234",
	//     "to": "flow:220",
	//     "state": "completed",
	//     "provider_state": "COMPLETED",
	//     "started_at": "2021-04-09T10:57:39Z",
	//     "ended_at": "2021-04-09T10:57:55Z",
	//     "duration": 23
	//   },
	//   "source": {
	//     "source": "C2C",
	//     "bridge": "918068281234",
	//     "from": "918919521234",
	//     "to": "flow:220",
	//     "mid": "",
	//     "status": "COMPLETED",
	//     "status1": "RECEIVED",
	//     "status2": "ANSWER",
	//     "hangup_by": "agent",
	//     "flow_id": 220,
	//     "start_at": "2021-04-09T10:57:39Z",
	//     "end_at": "2021-04-09T10:57:55Z",
	//     "duration": 23,
	//     "billing": 12,
	//     "recording_url": ""
	//   }
	// }
}

// The JSON of a normalized recording: 46elks' recording webhook.
func ExampleEvent_recording() {
	rec, _ := elks.Decode([]byte("callid=c70df59406a1b4643b96f3f91e0bfb7b0&duration=15" +
		"&wav=https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav" +
		"&direction=incoming&from=%2B46723175800&to=%2B46766861647&created=2016-10-01T12:00:00.11"))
	printJSON(normalize.From(rec))
	// Output:
	// {
	//   "provider": "elks",
	//   "kind": "recording",
	//   "recording": {
	//     "call_id": "c70df59406a1b4643b96f3f91e0bfb7b0",
	//     "url": "https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav",
	//     "duration": 15,
	//     "at": "2016-10-01T12:00:00.11Z"
	//   },
	//   "source": {
	//     "callid": "c70df59406a1b4643b96f3f91e0bfb7b0",
	//     "from": "+46723175800",
	//     "to": "+46766861647",
	//     "direction": "incoming",
	//     "wav": "https://api.46elks.com/a1/Recordings/c595183c042b1e43d1c8e79b9fd5cbcab-r0.wav",
	//     "duration": 15,
	//     "created": "2016-10-01T12:00:00.11Z"
	//   }
	// }
}

func printJSON(ev normalize.Event, err error) {
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.MarshalIndent(ev, "", "  ")
	fmt.Println(string(b))
}
