// Package hostile holds the hostile-input campaign against every provider's handler; it has tests only.
package hostile
