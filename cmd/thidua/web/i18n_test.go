package web

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"thidua/domain"
	"thidua/projections"
)

// TestCataloguesMatch checks that both catalogues have the same keys, with the same
// formatting verbs in the same order, and no empty message.
func TestCataloguesMatch(t *testing.T) {
	t.Parallel()
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for k, vi := range catalogVI {
		en, ok := catalogEN[k]
		if !ok {
			t.Errorf("key %q has no English message", k)
			continue
		}
		if strings.TrimSpace(vi) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("key %q has an empty message", k)
		}
		if a, b := strings.Join(verbs.FindAllString(vi, -1), ","), strings.Join(verbs.FindAllString(en, -1), ","); a != b {
			t.Errorf("key %q: verbs %q in Vietnamese, %q in English", k, a, b)
		}
		if !utf8.ValidString(vi) {
			t.Errorf("key %q: invalid UTF-8", k)
		}
	}
	for k := range catalogEN {
		if _, ok := catalogVI[k]; !ok {
			t.Errorf("key %q has no Vietnamese message", k)
		}
	}
}

// TestEveryKeyUsedExists scans the templates and the Go files for message keys and
// checks each is in the catalogue, so that no page shows a bare key.
func TestEveryKeyUsedExists(t *testing.T) {
	t.Parallel()
	literal := regexp.MustCompile(`(?:\.T|q\.T\(|pg\.T\(|p\.T\(|invalid\()\s*"([a-z0-9_.]+)"`)
	enum := regexp.MustCompile(`\.L "([a-z]+)" "([a-z_]+)"`)
	check := func(name, text string) {
		for _, m := range literal.FindAllStringSubmatch(text, -1) {
			if strings.HasSuffix(m[1], ".") {
				continue // a prefix completed at run time
			}
			if !hasKey(m[1]) {
				t.Errorf("%s uses key %q, missing from the catalogue", name, m[1])
			}
		}
		for _, m := range enum.FindAllStringSubmatch(text, -1) {
			if !hasKey(m[1] + "." + m[2]) {
				t.Errorf("%s uses key %q, missing from the catalogue", name, m[1]+"."+m[2])
			}
		}
	}
	_ = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templateFS, p)
		check(p, string(b))
		return nil
	})
	entries, _ := os.ReadDir(".")
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			b, _ := os.ReadFile(e.Name())
			check(e.Name(), string(b))
		}
	}
	// Enumerations translated at run time.
	for _, prefix := range []string{"state", "kind", "role", "doc", "part", "result", "fact", "cause", "ground", "judged", "key", "unitkind", "status", "flash"} {
		found := false
		for k := range catalogVI {
			found = found || strings.HasPrefix(k, prefix+".")
		}
		if !found {
			t.Errorf("no message with prefix %q", prefix)
		}
	}
}

// TestEveryProblemHasALabel: the integrity page names each problem an integrity check
// can find in words, in both languages, beside its code.
func TestEveryProblemHasALabel(t *testing.T) {
	t.Parallel()
	for _, k := range projections.ProblemKinds() {
		if _, ok := catalogVI["problem."+k]; !ok {
			t.Errorf("problem %q has no label", k)
		}
	}
}

// TestNoOtherHost checks that no embedded template or asset refers to another host.
func TestNoOtherHost(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, root := range []fs.FS{templateFS, staticFS} {
		_ = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := fs.ReadFile(root, p)
			for _, m := range re.FindAllString(string(b), -1) {
				if m == "http://www.w3.org" || strings.HasPrefix(m, "http://www.w3.org") {
					continue // the SVG namespace, not a request
				}
				t.Errorf("%s refers to %s", p, m)
			}
			return nil
		})
	}
}

// TestOneWordingPerTerm: a ground of revocation reads the same on the web form as in the
// audit trail and the messages (domain.TermVI), and the unit council's name is the plan's,
// "Hội đồng Thi đua-Khen thưởng" (plan V.2.b). Before, each ground had three wordings.
func TestOneWordingPerTerm(t *testing.T) {
	t.Parallel()
	for _, g := range []string{domain.GroundFalseDeclaration, domain.GroundForgedDocuments, domain.GroundUnlawfulApproval, domain.GroundCriteriaUnmet} {
		label := translate("vi", "ground."+g)
		r, size := utf8.DecodeRuneInString(label)
		if got := string(unicode.ToLower(r)) + label[size:]; got != domain.TermVI(g) {
			t.Errorf("ground %s: the form says %q, the trail %q", g, label, domain.TermVI(g))
		}
	}
	for _, key := range []string{"nom.vote", "part.council_minutes"} {
		if v := translate("vi", key); !strings.Contains(v, "Hội đồng Thi đua-Khen thưởng") {
			t.Errorf("%s: %q does not name the council as the plan does", key, v)
		}
	}
	if v := domain.TermVI(string(domain.DocCouncilMinutes)); !strings.Contains(v, "Hội đồng Thi đua-Khen thưởng") {
		t.Errorf("the trail names the minutes %q", v)
	}
}
