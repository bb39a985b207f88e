package obd

import (
	"fmt"
	"reflect"

	"github.com/go-playground/validator/v10"
)

// validate checks what a user configures, once, when a handler is built:
// never a webhook.
var validate = validator.New()

// check reports why f cannot map a composed webhook: a key that a form, a
// query string or a URL cannot carry, or two fields mapped to one key (the
// webhook's one value would fill both). Empty entries are Mobtexting's
// names, which are fine.
func (f Fields) check() error {
	v := reflect.ValueOf(f.keys())
	for i := range v.NumField() {
		if err := validate.Var(v.Field(i).String(), "excludesall=&=?#"); err != nil {
			return fmt.Errorf("obd.WithFields: %s: key %q holds one of & = ? #", v.Type().Field(i).Name, v.Field(i).String())
		}
	}
	seen := make(map[string]string, v.NumField())
	for i := range v.NumField() {
		key, name := v.Field(i).String(), v.Type().Field(i).Name
		if other, dup := seen[key]; dup {
			return fmt.Errorf("obd.WithFields: %s and %s both map to the key %q", other, name, key)
		}
		seen[key] = name
	}
	return nil
}
