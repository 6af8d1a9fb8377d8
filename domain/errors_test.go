package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
)

// TestRefusalNamesItsField checks that a refusal caused by one member of a command's body
// names that member (RuleError.Field), so that the API and the web form point at it, and
// that a refusal of the request as a whole names none.
func TestRefusalNamesItsField(t *testing.T) {
	t.Parallel()
	def := domain.BuiltinCampaign()
	s := newStream()
	u := activeUnit(t, s, "so-a", domain.UnitDepartment)
	v := activeUnit(t, s, "so-v", domain.UnitDepartment)
	person := func(name, position string) domain.Nominee {
		return domain.Nominee{Kind: domain.NomineeIndividual, Name: name, Position: position}
	}
	n := draft(t, s, def, "n1", u, person("Trần Thị B", "Chuyên viên"))
	sub := submitted(t, s, def, "n2", v, domain.Nominee{Kind: domain.NomineeCollective})
	vote := func(m, p, a int) error {
		_, err := n.RecordVote(domain.CouncilVoteData{MeetingDate: "2025-06-01", Members: m, Present: p, Approve: a}, def, inWindow)
		return err
	}
	long := strings.Repeat("x", 301)
	tests := []struct {
		name, code, field string
		err               error
	}{
		{"an individual without a name", "invalid_nominee", "nominee.name", second(domain.OpenNomination("n3", def, u, nil, person("", "Chuyên viên"), inWindow))},
		{"an individual without a position", "invalid_nominee", "nominee.position", second(domain.OpenNomination("n3", def, u, nil, person("Trần Thị B", ""), inWindow))},
		{"a position too long", "invalid_nominee", "nominee.position", second(domain.OpenNomination("n3", def, u, nil, person("Trần Thị B", long), inWindow))},
		{"a name with a control character", "invalid_nominee", "nominee.name", second(domain.OpenNomination("n3", def, u, nil, person("Trần\u202eB", "Chuyên viên"), inWindow))},
		{"a bad gender", "invalid_nominee", "nominee.gender", second(domain.OpenNomination("n3", def, u, nil, domain.Nominee{Kind: domain.NomineeIndividual, Name: "A", Position: "B", Gender: "x"}, inWindow))},
		{"a head not declared", "head_undeclared", "nominee.head", second(domain.OpenNomination("n3", def, u, nil, person("Trần Thị B", "Giám đốc Sở"), inWindow))},
		{"a collective with a position", "invalid_nominee", "", second(domain.OpenNomination("n3", def, u, nil, domain.Nominee{Kind: domain.NomineeCollective, Position: "x"}, inWindow))},
		{"no council members", "invalid_vote", "members", vote(0, 0, 0)},
		{"more present than members", "invalid_vote", "present", vote(5, 6, 1)},
		{"more approving than present", "invalid_vote", "approve", vote(5, 3, 4)},
		{"a meeting in the future", "meeting_in_future", "meeting_date", func() error {
			_, err := n.RecordVote(domain.CouncilVoteData{MeetingDate: "2099-01-01", Members: 5, Present: 5, Approve: 5}, def, inWindow)
			return err
		}()},
		{"a not_met ruling without a note", "note_required", "note", second(sub.Rule(def, "C01", domain.ResultNotMet, "", nil))},
		{"a ruling of no known result", "invalid_result", "result", second(sub.Rule(def, "C01", "maybe", "", nil))},
		{"a withdrawal without a reason", "reason_required", "reason", second(n.Withdraw(""))},
		{"a unit without a name", "invalid_name", "name", second(domain.RegisterUnit("so-x", "", domain.UnitDepartment, ""))},
		{"a unit of no known kind", "invalid_kind", "kind", second(domain.RegisterUnit("so-x", "Sở X", "bureau", ""))},
		{"a unit its own parent", "invalid_parent", "parent", second(domain.RegisterUnit("so-x", "Sở X", domain.UnitDepartment, "so-x"))},
		{"a merger's new successor without a name", "invalid_name", "successor_name",
			second(domain.PlanMerge([]*domain.Unit{u}, nil, "so-ab", "", domain.UnitDepartment, "2025-07-01", "QĐ 1", "r1", inWindow))},
		{"a merger's successor as another", "successor_differs", "successor",
			second(domain.PlanMerge([]*domain.Unit{u}, v, "so-v", "Sở khác", "", "2025-07-01", "QĐ 1", "r1", inWindow))},
		{"a merger without a decision", "decision_required", "decision",
			second(domain.PlanMerge([]*domain.Unit{u}, nil, "so-ab", "Sở AB", domain.UnitDepartment, "2025-07-01", "", "r1", inWindow))},
		{"a merger of a unit twice", "duplicate_source", "sources",
			second(domain.PlanMerge([]*domain.Unit{u, u}, nil, "so-ab", "Sở AB", domain.UnitDepartment, "2025-07-01", "QĐ 1", "r1", inWindow))},
		{"a fact of no known name", "invalid_fact", "fact", domain.ValidateFact(domain.FactRecordedData{Campaign: def.ID, Fact: "weather"})},
		{"a document of no known kind", "invalid_document_kind", "kind", domain.ValidateDocKind("poem")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var re *domain.RuleError
			require.True(t, errors.As(tt.err, &re), "a rule refusal, got %v", tt.err)
			assert.Equal(t, tt.code, re.Code)
			assert.Equal(t, tt.field, re.Field)
		})
	}
}

// second returns the error of a decision.
func second[T any](_ T, err error) error { return err }
