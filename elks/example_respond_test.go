package elks_test

import (
	"encoding/json"
	"fmt"

	"github.com/telhook/telhook/elks"
)

// Forward the call, and try a second number when the first one is busy.
func ExampleConnect() {
	a := elks.Connect{
		To:   "+46723175800",
		Busy: elks.Connect{To: "+46731704032"},
	}
	b, err := json.Marshal(a)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// {"connect":"+46723175800","busy":{"connect":"+46731704032"}}
}

// A menu: press 1 to be connected to sales, 2 to have the next action
// fetched from your server. Options are written in key order.
func ExampleIVR() {
	menu := elks.IVR{
		Prompt: "https://example.com/menu.mp3",
		Options: map[string]elks.Action{
			"2": elks.URL("https://example.com/support"),
			"1": elks.Connect{To: "+46704508449"},
		},
	}
	b, err := json.Marshal(menu)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// {"ivr":"https://example.com/menu.mp3","1":{"connect":"+46704508449"},"2":"https://example.com/support"}
}
