package obd

import (
	"encoding/json"
	"net/http"

	"github.com/telhook/telhook/internal/core"
)

// challengeAnswer is the echo Mobtexting's validation expects: exactly 200
// with {"challenge":"…"}.
func challengeAnswer(challenge string) core.Answer {
	body, _ := json.Marshal(struct {
		Challenge string `json:"challenge"`
	}{challenge}) // a struct of one string cannot fail to encode
	return core.Answer{Status: http.StatusOK, ContentType: "application/json", Body: body}
}
