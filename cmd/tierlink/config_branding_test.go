package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigBranding(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "logo.svg")
	os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644)
	gif := filepath.Join(dir, "logo.gif")
	os.WriteFile(gif, []byte("GIF89a"), 0o644)
	load := func(env map[string]string) (Config, error) {
		getenv := func(k string) string { return env[k] }
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		return loadConfig(addConfigFlags(fs, getenv, false), getenv)
	}
	t.Run("OK", func(t *testing.T) {
		c, err := load(map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_COMPANY_NAME": " 华星精密 ", "TIERLINK_LOGO": svg})
		if err != nil || c.CompanyName != "华星精密" || c.LogoType != "image/svg+xml" || !strings.Contains(string(c.Logo), "<svg") {
			t.Fatalf("config = %q %q %d bytes, %v", c.CompanyName, c.LogoType, len(c.Logo), err)
		}
	})
	for name, env := range map[string]map[string]string{
		"ErrLogoType":    {"TIERLINK_LOGO": gif},
		"ErrLogoMissing": {"TIERLINK_LOGO": filepath.Join(dir, "none.png")},
		"ErrNameTooLong": {"TIERLINK_COMPANY_NAME": strings.Repeat("名", 101)},
	} {
		t.Run(name, func(t *testing.T) {
			env["TIERLINK_DATA_DIR"] = dir
			_, err := load(env)
			var ce configError
			if err == nil || !asConfigError(err, &ce) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func asConfigError(err error, ce *configError) bool {
	c, ok := err.(configError)
	*ce = c
	return ok
}
