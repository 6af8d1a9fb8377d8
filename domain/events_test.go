package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

func samplePayloads() map[string]any {
	d := doc("x")
	def := domain.BuiltinCampaign()
	return map[string]any{
		domain.UnitRegistered:            domain.UnitRegisteredData{ID: "so-noi-vu", Name: "Sở Nội vụ", Kind: domain.UnitDepartment, Parent: "ubnd"},
		domain.PlanSubmitted:             domain.PlanSubmittedData{Campaign: def.ID, Document: d},
		domain.FactRecorded:              domain.FactRecordedData{Campaign: def.ID, Fact: "index_component", Index: "PCI", Component: "C1", Number: f64(7.5), Previous: f64(6), Note: "n", Document: &d},
		domain.UnitMergedEvent:           domain.UnitMergedData{Reorganisation: "r1", Successor: "c", Effective: "2025-07-01", Decision: "QĐ 1"},
		domain.UnitAbsorbed:              domain.UnitAbsorbedData{Reorganisation: "r1", Sources: []string{"a", "b"}, Effective: "2025-07-01", Decision: "QĐ 1"},
		domain.UnitNominated:             domain.UnitNominatedData{Campaign: def.ID, Nomination: "n1", Kind: domain.NomineeIndividual, Name: "Nguyễn Thị Đào"},
		domain.UnitAwardNoted:            domain.UnitAwardNotedData{Campaign: def.ID, Nomination: "n1", Award: "a1", Unit: "u1"},
		domain.UnitSubordinateRegistered: domain.UnitSubordinateRegisteredData{Unit: "phong-a"},
		domain.UnitHoldNoted:             domain.UnitHoldNotedData{Campaign: def.ID, Nomination: "n1"},
		domain.IDClaimed:                 domain.IDClaimedData{Kind: domain.KindUnit, ID: "SO-NOI-VU"},
		domain.NominationOpened:          domain.NominationOpenedData{ID: "n1", Campaign: def.ID, Unit: "a", Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Thị Đào", Position: "Giám đốc", Gender: "female", Head: true}},
		domain.DocumentAttached:          domain.DocumentAttachedData{Kind: domain.DocLetter, Document: d},
		domain.CouncilVoteRecorded:       domain.CouncilVoteData{MeetingDate: "2025-05-20", Members: 9, Present: 7, Approve: 7},
		domain.NominationSubmitted:       domain.SubmittedData{},
		domain.ReviewStarted:             domain.ReviewStartedData{},
		domain.CriterionRuled:            domain.CriterionRuledData{Criterion: "C01", Result: "met", Note: "đạt", Document: &d},
		domain.NominationVerified:        domain.VerifiedData{},
		domain.ReviewReopened:            domain.ReviewReopenedData{Criterion: "C02"},
		domain.NominationReturned:        domain.ReasonData{Reason: "bổ sung"},
		domain.NominationWithdrawn:       domain.ReasonData{Reason: "rút"},
		domain.NominationHeld:            domain.ReasonData{Reason: "khiếu nại"},
		domain.NominationReleased:        domain.ReasonData{Reason: "đã giải quyết"},
		domain.NominationAwarded:         domain.NominationAwardedData{Award: "a1", Decision: "QĐ 9"},
		domain.NominationAwardRevoked:    domain.NominationAwardRevokedData{Award: "a1", Ground: domain.GroundForgedDocuments, Note: "x"},
		domain.NominationTransferred:     domain.TransferredData{From: "a", To: "c", Reorganisation: "r1", Effective: "2025-07-01"},
		domain.NomineeCorrected: domain.NomineeCorrectedData{Nominee: domain.Nominee{Kind: domain.NomineeIndividual, Name: "Nguyễn Thị Đào",
			Position: "Giám đốc", Gender: "female", Head: true}, Reason: "sửa"},
		domain.CampaignLaunched:  domain.CampaignLaunchedData{Definition: def},
		domain.CampaignRevised:   domain.CampaignRevisedData{Definition: def},
		domain.DeadlineSet:       domain.DeadlineSetData{Closes: time.Date(2025, 11, 30, 10, 0, 0, 0, time.UTC)},
		domain.AwardGranted:      domain.AwardGrantedData{Award: "a1", Nomination: "n1", Unit: "c", Lineage: []string{"c", "a"}, Kind: domain.NomineeCollective, Decision: "QĐ 9", Ranking: []domain.RankingRef{{Nomination: "n1", Rank: 1, Recommended: true}}},
		domain.AwardRevoked:      domain.AwardRevokedData{Award: "a1", Nomination: "n1", Ground: domain.GroundFalseDeclaration, Note: "x"},
		domain.UnitsMergedNoted:  domain.UnitsMergedNotedData{Reorganisation: "r1", Successor: "c", Sources: []string{"a", "b"}, Effective: "2025-07-01"},
		domain.UserRegistered:    domain.UserRegisteredData{ID: "u1", Name: "Lê Văn A", Role: domain.RoleClerk, Unit: "a", TokenHash: "h"},
		domain.UserDisabled:      domain.UserDisabledData{ID: "u1", Reason: "nghỉ"},
		domain.UserTokenReissued: domain.UserTokenReissuedData{ID: "u1", TokenHash: "h2"},
	}
}

func TestDecodeRoundTripsEveryType(t *testing.T) {
	t.Parallel()
	samples := samplePayloads()
	specs := domain.EventSpecs()
	if len(specs) != len(samples) {
		t.Fatalf("EventSpecs has %d types, samples cover %d", len(specs), len(samples))
	}
	for _, spec := range specs {
		t.Run(spec.Type, func(t *testing.T) {
			t.Parallel()
			want, ok := samples[spec.Type]
			if !ok {
				t.Fatalf("no sample for %s", spec.Type)
			}
			raw, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := domain.Decode(spec.Type, raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the payload:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, data string
		unknownType     bool
		ok              bool
	}{
		{"unknown type", "unit.renamed", `{}`, true, false},
		{"invalid json", domain.UnitRegistered, `{"id":`, false, false},
		{"wrong field type", domain.CouncilVoteRecorded, `{"members":"nine"}`, false, false},
		{"unknown fields tolerated", domain.UnitRegistered, `{"id":"a","name":"A","kind":"commune","future":1}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.Decode(tt.typ, []byte(tt.data))
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			if got := errors.Is(err, domain.ErrUnknownEventType); got != tt.unknownType {
				t.Fatalf("errors.Is(ErrUnknownEventType) = %v, want %v (%v)", got, tt.unknownType, err)
			}
		})
	}
}

func TestFactRecordedUpcastFromV1(t *testing.T) {
	t.Parallel()
	var spec domain.EventSpec
	for _, s := range domain.EventSpecs() {
		switch {
		case s.Type == domain.FactRecorded:
			spec = s
		case s.Type == domain.CampaignLaunched || s.Type == domain.CampaignRevised:
			// TestCampaignSchemaFollowsRulesRevision
		case s.Version != 1 || len(s.Upcasters) != 0:
			t.Errorf("%s: version %d with %d upcasters, want version 1 and none", s.Type, s.Version, len(s.Upcasters))
		}
	}
	if spec.Version != 2 || spec.Upcasters[1] == nil {
		t.Fatalf("unit.fact_recorded: version %d, upcaster from 1 present %v", spec.Version, spec.Upcasters[1] != nil)
	}
	tests := []struct {
		name string
		v1   string
		want domain.FactRecordedData
	}{
		{"number", `{"campaign":"c1","name":"disbursement_pct","value":97,"cause":"objective"}`,
			domain.FactRecordedData{Campaign: "c1", Fact: "disbursement_pct", Number: f64(97), Cause: "objective"}},
		{"text", `{"campaign":"c1","name":"par_rating","value":"Tốt"}`,
			domain.FactRecordedData{Campaign: "c1", Fact: "par_rating", Text: "Tốt"}},
		{"number as string", `{"campaign":"c1","name":"late_dossiers","value":"0"}`,
			domain.FactRecordedData{Campaign: "c1", Fact: "late_dossiers", Number: f64(0)}},
		{"no value", `{"campaign":"c1","name":"index_component","index":"PCI","component":"x","status":"not_published"}`,
			domain.FactRecordedData{Campaign: "c1", Fact: "index_component", Index: "PCI", Component: "x", Status: "not_published"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v2, err := spec.Upcasters[1]([]byte(tt.v1))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(v2), `"name"`) || strings.Contains(string(v2), `"value"`) {
				t.Fatalf("v2 still has v1 fields: %s", v2)
			}
			got, err := domain.Decode(domain.FactRecorded, v2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	if _, err := spec.Upcasters[1]([]byte(`not json`)); err == nil {
		t.Fatal("upcasting invalid JSON must fail")
	}
}

func TestValidateID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"so-noi-vu", true},
		{"xã_Phước-Hà", true},
		{"\u00c0B", true},   // À composed (NFC)
		{"A\u0300B", false}, // the same written with a combining accent (NFD)
		{strings.Repeat("a", 128), true},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"a.b", false},
		{"a*", false},
		{"a>", false},
		{"a/b", false},
		{"a b", false},
		{"a\tb", false},
		{"a\x00b", false},
		{"a\u00a0b", false},
		{"KBNN\u200b", false}, // look-alikes of KBNN: zero-width space,
		{"\u2060KBNN", false}, // word joiner,
		{"KBNN\u00ad", false}, // soft hyphen,
		{"KB\u034fNN", false}, // combining grapheme joiner,
		{"\u3164", false},     // Hangul filler
		{"KBNN\ufe0f", false}, // and a variation selector
		{string([]byte{0xff, 0x61}), false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			err := domain.ValidateID(tt.id)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			}
			if err != nil && !errors.Is(err, domain.ErrInvalidID) {
				t.Fatalf("error %v does not wrap ErrInvalidID", err)
			}
		})
	}
}

// TestRecorders: every event type the engine records has the roles that record it; an
// auditor records none, and the engine itself only the few it writes at start.
func TestRecorders(t *testing.T) {
	t.Parallel()
	system := 0
	for _, spec := range domain.EventSpecs() {
		roles := domain.Recorders(spec.Type)
		require.NotEmpty(t, roles, spec.Type)
		assert.NotContains(t, roles, domain.RoleAuditor, spec.Type)
		if slices.Contains(roles, domain.RoleSystem) {
			system++
		}
	}
	assert.Equal(t, 4, system, "user.registered, user.token_reissued, campaign.launched, claim.id_claimed")
	assert.Nil(t, domain.Recorders("nomination.note_added"))
	assert.Equal(t, []domain.Role{domain.RoleReviewer}, domain.Recorders(domain.FactRecorded))
}

// TestCampaignSchemaFollowsRulesRevision: campaign.launched and campaign.revised are
// written at a schema raised with every rules revision after the second, so that an older
// thidua names a campaign under a reading it does not know schema_newer rather than read
// it under its own (a review finding: a version that knew revisions up to 2 recommended,
// and granted, a nominee on hold in another campaign under revision 4); their earlier
// versions read as they are.
func TestCampaignSchemaFollowsRulesRevision(t *testing.T) {
	t.Parallel()
	assert.Equal(t, domain.CurrentRulesRevision-2, domain.CampaignSchema, "raise CampaignSchema with the rules revision")
	for _, typ := range []string{domain.CampaignLaunched, domain.CampaignRevised} {
		assert.Equal(t, domain.CampaignSchema, domain.SchemaVersion(typ), typ)
		for _, spec := range domain.EventSpecs() {
			if spec.Type != typ {
				continue
			}
			require.Len(t, spec.Upcasters, domain.CampaignSchema-1, typ)
			in := []byte(`{"definition":{"id":"x"}}`)
			out, err := spec.Upcasters[1](in)
			require.NoError(t, err)
			assert.Equal(t, in, out, "version 1 reads as it is")
		}
	}
	assert.Equal(t, 1, domain.SchemaVersion(domain.NominationSubmitted))
}
