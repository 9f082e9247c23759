package fixturedir

import (
	"os"
	"path/filepath"
)

// Dir returns the fixtures folder: $BAYLING_FIXTURES, else the first
// shared/fixtures or ../shared/fixtures found walking up from the working
// directory; "" when there is none.
func Dir() string {
	if d := os.Getenv("BAYLING_FIXTURES"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared", "fixtures"), filepath.Join(d, "..", "shared", "fixtures")} {
			if st, err := os.Stat(filepath.Join(c, "README.md")); err == nil && !st.IsDir() {
				abs, _ := filepath.Abs(c)
				return abs
			}
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Find returns the path of a fixture file, or "" when it is missing.
func Find(name string) string {
	d := Dir()
	if d == "" {
		return ""
	}
	p := filepath.Join(d, name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return ""
}
