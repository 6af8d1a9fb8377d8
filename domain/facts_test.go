package domain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/domain"
)

// TestCanonicalComponent: a component written in another case or spacing, or without any
// diacritic, is recorded under the name already recorded, and supersedes it; two names that
// both carry diacritics and differ in them stay two components.
func TestCanonicalComponent(t *testing.T) {
	t.Parallel()
	recorded := []string{"Chi phí không chính thức", "Tính minh bạch"}
	for name, want := range map[string]string{
		"Chi phí không chính thức":  "Chi phí không chính thức",
		"chi phí  không chính thức": "Chi phí không chính thức",
		"Chi phi khong chinh thuc":  "Chi phí không chính thức", // typed without diacritics
		"TINH MINH BACH":            "Tính minh bạch",
		"Tính minh bách":            "Tính minh bách", // other diacritics: another name
		"Đào tạo lao động":          "Đào tạo lao động",
	} {
		assert.Equal(t, want, domain.CanonicalComponent(name, recorded), name)
	}
}
