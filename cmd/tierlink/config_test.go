package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every TIERLINK_* variable the program reads is declared in envVars,
// documented in the README's configuration table and set in the compose
// file, and neither names anything the program does not read.
func TestConfigurationDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile(`"(TIERLINK_[A-Z0-9_]+)"`)
	read := map[string]bool{}
	for _, dir := range []string{".", "../../portal", "../../jobs", "../../partners", "../../ent/database"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			// Crash points are compiled only into test builds
			// (-tags tierlink_crashpoints); they are not configuration.
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_crashpoints.go") {
				continue
			}
			b, _ := os.ReadFile(f)
			for _, m := range nameRE.FindAllStringSubmatch(string(b), -1) {
				read[m[1]] = true
			}
		}
	}
	declared := map[string]bool{}
	for _, e := range envVars {
		declared[e.Name] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(TIERLINK_[A-Z0-9_]+)`").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = true
	}
	for name := range read {
		if !declared[name] {
			t.Errorf("%s is read but not in envVars", name)
		}
		if !documented[name] {
			t.Errorf("%s is read but not in the README configuration table", name)
		}
	}
	for name := range documented {
		if !read[name] {
			t.Errorf("README documents %s, which the program does not read", name)
		}
	}
	// The compose file sets every variable, and nothing else of ours.
	compose, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(TIERLINK_[A-Z0-9_]+):`).FindAllStringSubmatch(string(compose), -1) {
		set[m[1]] = true
	}
	for name := range read {
		if !set[name] {
			t.Errorf("%s is read but not set in deploy/compose.yaml", name)
		}
	}
	for name := range set {
		if !read[name] && name != "TIERLINK_HOST" {
			t.Errorf("deploy/compose.yaml sets %s, which the program does not read", name)
		}
	}
	// The image builds the binary this repository's go.mod asks for.
	docker, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docker), "./cmd/tierlink") || !strings.Contains(string(docker), "CGO_ENABLED=0") || !strings.Contains(string(docker), "distroless/static") {
		t.Error("deploy/Dockerfile no longer builds a static binary onto distroless")
	}
}
