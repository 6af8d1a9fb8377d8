package domain_test

import (
	"errors"
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

// TestValidateNewID: a new unit's, campaign's or successor's id is a code of ASCII
// letters, digits, '-' and '_'; what reads as another id or as part of a web address is
// refused, wrapping ErrInvalidID, by the decisions that create one. Ids of existing
// aggregates are read as before (ValidateID).
func TestValidateNewID(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"SO-NV", "ninh-thuan-cchc-2025", "U1", "x_y", "01J9Z"} {
		if err := domain.ValidateNewID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"SO-TC#1", "SO-TC?x", "Q?a#b", "50%", "\u0405O-TC", "SỞ-NV", "-SO", "_x", "a:b", "a+b", "a\\b", ""} {
		if err := domain.ValidateNewID(bad); !errors.Is(err, domain.ErrInvalidID) {
			t.Errorf("%q: %v, want ErrInvalidID", bad, err)
		}
	}
	if _, err := domain.RegisterUnit("SO-TC#1", "Sở Tài chính", domain.UnitDepartment, ""); !errors.Is(err, domain.ErrInvalidID) {
		t.Errorf("register SO-TC#1: %v", err)
	}
	def := domain.BuiltinCampaign()
	def.ID = "cchc?2025"
	if _, err := domain.NewCampaign().Launch(def); err == nil {
		t.Error("a campaign id with '?' launched")
	}
	if err := domain.ValidateID("SỞ-NV"); err != nil {
		t.Errorf("an existing id is read as before: %v", err)
	}
}
