package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/domain"
	"thidua/projections"
	"thidua/workflows"
	"thidua/workflows/wftest"
)

// TestImportUnits: a province's register of units in CSV (the demo's columns, semicolons
// too, a byte-order mark) is registered whole in one atomic append, parents before their
// units whatever the order of the list, each unit's parent noting it; a list with a
// refused row registers nothing and names the row's line; only the administrator imports.
func TestImportUnits(t *testing.T) {
	t.Parallel()
	env := wftest.New(t, srv)
	env.Unit("IMP-SO", domain.UnitDepartment)
	list := "\ufeffid;kind;name_vi;parent;note\n" +
		"IMP-XA1;commune;Xã Một;IMP-HUYEN;\n" +
		"\n" +
		"IMP-HUYEN;district;Huyện Thử;;trước 1/7\n" +
		"IMP-CHI;department;\"Chi cục; trực thuộc\";IMP-SO;\n"
	rows, err := workflows.ParseUnitList([]byte(list))
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, 2, rows[0].Line)
	assert.Equal(t, 4, rows[1].Line)
	assert.Equal(t, "Chi cục; trực thuộc", rows[2].Name)

	clerk := env.User(domain.RoleClerk, "IMP-SO")
	_, err = env.Svc.ImportUnits(env.Ctx, clerk, rows, workflows.Options{})
	require.ErrorIs(t, err, workflows.ErrForbidden)

	before, _ := env.Store.LastSeq(env.Ctx)
	env.OK(env.Svc.ImportUnits(env.Ctx, env.Admin, rows, workflows.Options{}))
	after, _ := env.Store.LastSeq(env.Ctx)
	assert.Equal(t, before+7, after, "three units, three claims, the existing parent's note: one append")
	xa, err := env.Model.Unit("IMP-XA1", projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, "IMP-HUYEN", xa.Parent)
	assert.Equal(t, domain.UnitCommune, xa.Kind)
	chi, err := env.Model.Unit("IMP-CHI", projections.Bound{})
	require.NoError(t, err)
	assert.Equal(t, "IMP-SO", chi.Parent)
	assert.Empty(t, env.Model.IntegrityProblems())

	for _, c := range []struct {
		name, list, code, says string
	}{
		{"a unit registered already", "id,kind,name_vi\nIMP-NEW,commune,Xã Mới\nimp-so,department,Sở\n", "unit_exists", "line 3 (imp-so)"},
		{"an id twice", "id,kind,name_vi\nIMP-A,commune,Xã A\nimp-a,commune,Xã A\n", "invalid_unit_list", "line 3: unit imp-a is in the list already, at line 2"},
		{"a kind unknown", "id,kind,name_vi\nIMP-B,ward,Phường B\n", "invalid_kind", "line 2 (IMP-B)"},
		{"a cycle, named on its rows", "id,kind,name_vi,parent\nIMP-G,commune,Xã G,IMP-C\nIMP-C,district,Huyện C,IMP-D\nIMP-D,district,Huyện D,IMP-C\n", "invalid_unit_list", "line 3: the parents form a cycle: IMP-C → IMP-D → IMP-C"},
		{"no name", "id,kind,name_vi\nIMP-E,commune,\n", "invalid_name", "line 2 (IMP-E)"},
		{"no id", "id,kind,name_vi\nIMP-H,commune,Xã H\n,commune,Xã\n", "invalid_id", "line 3 ()"},
		// Two faults in a row: the unit's own id, then its name and kind, then its parent,
		// as before the check was shared with RegisterUnit (a review of it found the
		// parent named first).
		{"registered already, its parent listed in another case", "id,kind,name_vi,parent\nimp-so,commune,X,imp-p2\nIMP-P2,district,Y,\n", "unit_exists", "line 2 (imp-so)"},
		{"a kind unknown, its parent unknown", "id,kind,name_vi,parent\nIMP-K1,bogus,X,NOPE\n", "invalid_kind", "line 2 (IMP-K1)"},
		{"no name, its parent unknown", "id,kind,name_vi,parent\nIMP-K2,commune,,NOPE\n", "invalid_name", "line 2 (IMP-K2)"},
		{"a parent listed in another case", "id,kind,name_vi,parent\nIMP-K3,commune,X,imp-p3\nIMP-P3,district,Y,\n", "not_found", "line 2 (IMP-K3)"},
		{"an id with diacritics", "id,kind,name_vi\nSỞ-B,department,Sở B\n", "invalid_id", "line 2 (SỞ-B)"},
		{"a parent unknown", "id,kind,name_vi,parent\nIMP-F,commune,Xã F,KHONG-CO\n", "not_found", "line 2 (IMP-F)"},
	} {
		rows, err := workflows.ParseUnitList([]byte(c.list))
		require.NoError(t, err, c.name)
		re := refused(t, env, c.code, func() (workflows.Result, error) {
			return env.Svc.ImportUnits(env.Ctx, env.Admin, rows, workflows.Options{})
		})
		assert.Contains(t, re.Message, c.says, c.name)
		assert.Contains(t, re.MessageVI, "Dòng ", c.name)
		assert.NotContains(t, re.MessageVI, "line ", c.name)
		assert.Equal(t, "file", re.Field, c.name)
	}
	_, err = env.Model.Unit("IMP-NEW", projections.Bound{})
	require.ErrorIs(t, err, projections.ErrNotFound, "nothing of a refused list")

	for name, list := range map[string]string{
		"no header column":              "ma,loai,ten\nA,commune,Xã\n",
		"a column unknown":              "id,kind,name_vi,parent_id\nA,commune,Xã,H\n", // dropped, the commune had no district
		"a column twice":                "id,kind,name_vi,id\nA,commune,Xã,B\n",
		"values past the header":        "id,kind,name_vi\nA,commune,Xã,H\n",
		"a value under an empty column": "id,kind,name_vi,\nA,commune,Xã,H\n",
		"a quote in a first field":      "id,kind,name_vi\nSO-\"X,department,Sở X\n", // it panicked
		"a quote left open at the end":  "id,kind,name_vi\n\"SO-A,department,Sở A\n",
		"a quote in the header":         "id,kind,\"name_vi\nSO-Z,department,Z\n",
		"no unit":                       "id,kind,name_vi\n",
		"not UTF-8":                     "id,kind,name_vi\nA,commune,X\xe3\n",
		"a broken quote":                "id,kind,name_vi\nA,commune,\"Xã\n",
		"an empty file":                 "",
	} {
		_, err := workflows.ParseUnitList([]byte(list))
		var re *domain.RuleError
		require.ErrorAs(t, err, &re, name)
		assert.Equal(t, "invalid_unit_list", re.Code, name)
		assert.NotContains(t, re.MessageVI, "parse error", name)
	}
	// A trailing separator a spreadsheet wrote, with nothing under it, is no column.
	rows, err = workflows.ParseUnitList([]byte("id,kind,name_vi,parent,\nIMP-T,commune,Xã T,,\n"))
	require.NoError(t, err)
	assert.Equal(t, "IMP-T", rows[0].ID)
}
