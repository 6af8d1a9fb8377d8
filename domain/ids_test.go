package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"thidua/domain"
)

func TestFoldIDMatchesEqualFold(t *testing.T) {
	t.Parallel()
	ids := []string{"CASE0", "case0", "Case0", "cASE0", "case1", "SỞ-NỘI-VỤ", "sở-nội-vụ", "Sở-Nội-Vụ",
		"\u212a-1", "k-1", "K-1", "ΣΑΣ", "σας", "ſ", "s", "S", "ǅ", "ǆ", "Ǆ", "ĐÀ-NẴNG", "đà-nẵng", "da-nang"}
	for _, a := range ids {
		for _, b := range ids {
			assert.Equal(t, strings.EqualFold(a, b), domain.FoldID(a) == domain.FoldID(b), "%q vs %q", a, b)
			assert.Equal(t, strings.EqualFold(a, b), domain.ClaimKey(domain.KindUnit, a) == domain.ClaimKey(domain.KindUnit, b), "%q vs %q", a, b)
		}
		assert.NoError(t, domain.ValidateID(domain.ClaimKey(domain.KindUnit, a)), "a claim key is a valid id")
		assert.LessOrEqual(t, len(domain.FoldID(a)), len(a), "folding never lengthens %q", a)
	}
	assert.NotEqual(t, domain.ClaimKey(domain.KindUnit, "X"), domain.ClaimKey(domain.KindCampaign, "X"),
		"a unit and a campaign may share an id")
}

func TestUnaccented(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Hòa Đông":            "Hoa Dong",
		"Phường Đống Đa":      "Phuong Dong Da",
		"UBND xã Phước Hà":    "UBND xa Phuoc Ha",
		"Ho\u0300a":           "Hoa",
		"already plain ASCII": "already plain ASCII",
	} {
		assert.Equal(t, want, domain.Unaccented(in), in)
	}
}
