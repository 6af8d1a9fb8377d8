package eventstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"thidua/eventstore"
)

// chainCheckPy is the README's check of every event's hash and chain in an archive,
// without thidua: it reads each event's payload as the bytes stored, frames the envelope's
// fields as Event.ComputeHash does, and links each event to its subject's previous one.
const chainCheckPy = `import hashlib, json, re, struct, sys
from datetime import datetime, timezone
# Objects read as thidua's reader (Go's encoding/json) reads them: a member's name in any
# letter case, and of a name given twice the last.
ws, dec = re.compile(r"[ \t\n\r]*"), json.JSONDecoder(object_pairs_hook=lambda pairs: {k.casefold(): v for k, v in pairs})

def items(s, i):  # the members of the object (or the items of the array) at s[i], each value with its text
    close, i = {"{": "}", "[": "]"}[s[i]], ws.match(s, i + 1).end()
    while s[i] != close:
        name = None
        if close == "}":
            name, i = dec.raw_decode(s, i)
            i = ws.match(s, ws.match(s, i).end() + 1).end()
        value, j = dec.raw_decode(s, i)
        yield name, value, s[i:j], i
        i = ws.match(s, j).end()
        i = ws.match(s, i + 1).end() if s[i] == "," else i

def members(s, i):  # an object's members by name, as above: name -> (value, its text, where it starts)
    return {name.casefold(): (value, text, at) for name, value, text, at in items(s, i)}

def utc(t):  # a time as the hash frames it: RFC 3339 in UTC, to the nanosecond, without trailing zeros
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:\d\d)", t)
    at = datetime.fromisoformat(m[1] + ("+00:00" if m[3] == "Z" else m[3])).astimezone(timezone.utc)
    fraction = (m[2] or "")[:9].rstrip("0")
    return at.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if fraction else "") + "Z"

def content_hash(e, data):  # each field as its length in 8 bytes (big-endian), then its UTF-8 bytes
    if type(e["schema"]) is not int:
        raise ValueError("schema is not an integer")
    fields = ["thidua-event-v1", e["id"], e["type"], str(e["schema"]), e["aggregate"]["kind"], e["aggregate"]["id"],
              e["actor"]["user"], e["actor"]["role"], utc(e["occurred_at"]), utc(e["recorded_at"]),
              e.get("causation_id", ""), e.get("correlation_id", ""), e["prev_hash"], data]
    return hashlib.sha256(b"".join(struct.pack(">Q", len(f.encode())) + f.encode() for f in fields)).hexdigest()

last, ids, seen, until, problems, events = {}, set(), 0, 0, [], 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    if "seq" not in m:
        until = m.get("until", until)  # the header: the archive goes up to this sequence
        continue
    seq, subject = m["seq"], m.get("subject", "?")
    if seq > seen + 1:
        problems.append(f"{seen + 1}: messages lost up to {seq - 1}; the chains after them break")
    seen = seq
    try:
        body, held = m["body"], 0
        commit = members(body, ws.match(body).end())
        for _, e, _, at in items(body, commit["events"][2]) if "events" in commit else []:
            events, held = events + 1, held + 1
            data = members(body, at)["data"][1]
            if subject.split(".")[-2:] != [e["aggregate"]["kind"], e["aggregate"]["id"]]:
                problems.append(f"{seq}: event {e['id']} names another aggregate than its subject {subject}")
            if e["id"] in ids:
                problems.append(f"{seq}: event id {e['id']} used before")
            if content_hash(e, data) != e["hash"]:
                problems.append(f"{seq}: event {e['id']} does not hash to its hash: changed after it was written")
            if e["prev_hash"] != last.get(subject, ""):
                problems.append(f"{seq}: event {e['id']} does not link to the previous event of {subject}")
            ids.add(e["id"])
            last[subject] = e["hash"]
        if not held:
            problems.append(f"{seq}: a message that holds no event")
    except Exception as err:
        problems.append(f"{seq}: not a commit as thidua writes one ({type(err).__name__}: {err})")
if until > seen:
    problems.append(f"{seen + 1}: messages lost up to {until}")
print("\n".join(problems) or f"{seen} messages, {events} events, {len(last)} aggregates: every hash and every chain holds")
sys.exit(1 if problems else 0)
`

// runPython runs script on the archive and returns what it printed and its exit status;
// it skips the test when python3 is not installed.
func runPython(t *testing.T, script string, archive []byte) (string, int) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "archive.jsonl")
	require.NoError(t, os.WriteFile(path, archive, 0o600))
	file := filepath.Join(dir, "check.py")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o600))
	out, err := exec.CommandContext(t.Context(), python, file, path).CombinedOutput()
	if err == nil {
		return strings.TrimSpace(string(out)), 0
	}
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	return strings.TrimSpace(string(out)), exit.ExitCode()
}

// forged publishes, behind the store's back, a commit of one event on ref's subject,
// hashed as the engine hashes it (ComputeHash) after change has altered it, with edit (when
// given) applied to the body's text, and returns the event.
func forged(t *testing.T, s *eventstore.Store, ref eventstore.Ref, prev string, change func(*eventstore.Event), edit ...func(string) string) eventstore.Event {
	t.Helper()
	hanoi := time.FixedZone("+07", 7*3600)
	e := eventstore.Event{
		ID: ulid.Make().String(), Type: "unit.fact_recorded", Schema: 1, Aggregate: ref,
		Actor:      eventstore.Actor{User: "u1", Role: "reviewer"},
		OccurredAt: time.Date(2025, 3, 14, 9, 30, 0, 120_000_000, hanoi),
		RecordedAt: time.Now().In(hanoi).Truncate(time.Microsecond).Add(987 * time.Nanosecond),
		PrevHash:   prev, Data: json.RawMessage(`{"name":"par_rating","value":"Tốt","note":"a \u003cb\u003e \u0026 c"}`),
	}
	e.Hash = e.ComputeHash()
	if change != nil {
		change(&e)
	}
	body, err := json.Marshal(struct {
		Events []eventstore.Event `json:"events"`
	}{[]eventstore.Event{e}})
	require.NoError(t, err)
	for _, f := range edit {
		body = []byte(f(string(body)))
	}
	subject, err := s.Subject(ref)
	require.NoError(t, err)
	_, err = s.JetStream().Publish(t.Context(), subject, body)
	require.NoError(t, err)
	return e
}

// TestChainsCheckWithoutThidua: the README's Python, which needs nothing of thidua,
// checks every event's hash and chain in an archive as VerifyChains does: the history the
// engine appends holds (payloads with escaped characters and Vietnamese, a commit of two
// events, an atomic append, a backdated occurrence, causation and correlation ids), an
// event written elsewhere in another time zone and to the nanosecond holds too, and it
// names the same messages VerifyChains names: a payload changed after hashing, a link
// to no previous event, an event naming another aggregate than its subject, an id used
// twice, a body that is no commit, and messages lost in the middle and at the end.
func TestChainsCheckWithoutThidua(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := srv.Open(t)
	unit := eventstore.Ref{Kind: "unit", ID: "SNV"}
	nom := eventstore.Ref{Kind: "nomination", ID: "N1"}
	meta := eventstore.Meta{Actor: actor, CausationID: "cmd-1", CorrelationID: "corr-1",
		OccurredAt: time.Date(2025, 6, 30, 17, 0, 0, 500, time.UTC)}
	c1, err := s.Append(ctx, unit, eventstore.Version{}, []eventstore.Pending{
		{Type: "unit.registered", Data: map[string]string{"name": "Sở Nội vụ <&> \u2028 \"quoted\" \\ \t"}},
		{Type: "unit.plan_submitted", Data: map[string]any{"pct": 99.5, "big": 1e21, "list": []int{1, 2}}},
	}, meta)
	require.NoError(t, err)
	cs, err := s.AppendAtomic(ctx, []eventstore.Part{
		{Ref: nom, Events: ev("nomination.opened", map[string]string{"unit": "SNV"})},
		{Ref: unit, Expect: c1.Version(), Events: ev("unit.nominated", map[string]string{"nomination": "N1"})},
	}, eventstore.Meta{Actor: actor})
	require.NoError(t, err)
	_, err = s.Append(ctx, nom, cs[0].Version(), ev("nomination.submitted", nil), eventstore.Meta{Actor: actor, Key: "key-1"})
	require.NoError(t, err)
	genuine := lastSeq(t, s)

	verified := func() []uint64 {
		rep, err := s.VerifyChains(ctx)
		require.NoError(t, err)
		var seqs []uint64
		for _, p := range rep.Problems {
			if !strings.Contains(p.Problem, "recorded at") { // forward-dated: VerifyChains compares with JetStream's time, which the archive's check leaves out
				seqs = append(seqs, p.Seq)
			}
		}
		slices.Sort(seqs)
		return slices.Compact(seqs)
	}
	named := regexp.MustCompile(`(?m)^(\d+): `)
	pythonSeqs := func(out string) []uint64 {
		var seqs []uint64
		for _, m := range named.FindAllStringSubmatch(out, -1) {
			n, err := strconv.ParseUint(m[1], 10, 64)
			require.NoError(t, err)
			seqs = append(seqs, n)
		}
		slices.Sort(seqs)
		return slices.Compact(seqs)
	}

	rep, err := s.VerifyChains(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	out, code := runPython(t, chainCheckPy, archiveOf(t, s))
	assert.Zero(t, code, out)
	assert.Equal(t, fmt.Sprintf("%d messages, %d events, %d aggregates: every hash and every chain holds", rep.Commits, rep.Events, rep.Aggregates), out)
	require.Equal(t, genuine, uint64(rep.Commits))

	// Written elsewhere, hashed as the engine does, in Hanoi's time zone and to the
	// nanosecond: it holds.
	other := eventstore.Ref{Kind: "unit", ID: "KBNN"}
	first := forged(t, s, other, "", nil)
	out, code = runPython(t, chainCheckPy, archiveOf(t, s))
	assert.Zero(t, code, out)
	assert.Empty(t, verified())

	// What each check catches, at its own sequence.
	second := forged(t, s, other, first.Hash, func(e *eventstore.Event) {
		e.Data = json.RawMessage(`{"name":"par_rating","value":"Khá","note":"a \u003cb\u003e \u0026 c"}`)
	})
	changed := lastSeq(t, s)
	forged(t, s, other, "0123", nil)
	unlinked := lastSeq(t, s)
	forged(t, s, eventstore.Ref{Kind: "unit", ID: "CT"}, "", func(e *eventstore.Event) { e.Aggregate.ID = "SNV" })
	misplaced := lastSeq(t, s)
	forged(t, s, eventstore.Ref{Kind: "unit", ID: "CA"}, "", func(e *eventstore.Event) { e.ID = second.ID })
	reused := lastSeq(t, s)
	subject, err := s.Subject(unit)
	require.NoError(t, err)
	_, err = s.JetStream().Publish(ctx, subject, []byte(`not a commit`))
	require.NoError(t, err)
	notCommit := lastSeq(t, s)
	// Bodies thidua never writes, read alike by both (a review finding: the Python matched
	// member names exactly, where thidua's reader, Go's encoding/json, takes any letter case
	// and the last of a name given twice, and takes a time's fraction to the nanosecond).
	edited := func(id, old, new string) uint64 {
		t.Helper()
		forged(t, s, eventstore.Ref{Kind: "unit", ID: id}, "", nil, func(body string) string {
			require.Equal(t, 1, strings.Count(body, old), body)
			return strings.Replace(body, old, new, 1)
		})
		return lastSeq(t, s)
	}
	eventsAgain := edited("E1", `}]}`, `}],"Events":[]}`) // the last "events" is empty
	schemaText := edited("E2", `"schema":1`, `"schema":"1"`)
	hashAgain := edited("E3", `"data":`, `"Hash":"00","data":`)
	edited("E4", `987+07:00"`, `9871+07:00"`)      // ten digits: the tenth dropped
	edited("E5", `:00.12+07:00"`, `:00,12+07:00"`) // a comma before the fraction
	edited("E6", `"occurred_at"`, `"Occurred_At"`) // another letter case
	forged(t, s, eventstore.Ref{Kind: "unit", ID: "L1"}, "", nil)
	forged(t, s, eventstore.Ref{Kind: "unit", ID: "L2"}, "", nil)
	forged(t, s, eventstore.Ref{Kind: "unit", ID: "L3"}, "", nil)
	end := lastSeq(t, s)
	loseMessages(t, s, end-2, end-1, end)

	want := []uint64{changed, unlinked, misplaced, reused, notCommit, eventsAgain, schemaText, hashAgain, end - 2}
	assert.Equal(t, want, verified(), "VerifyChains")
	out, code = runPython(t, chainCheckPy, archiveOf(t, s))
	assert.Equal(t, 1, code, out)
	assert.Equal(t, want, pythonSeqs(out), out)
	for _, says := range []string{
		fmt.Sprintf("%d: event %s does not hash to its hash", changed, second.ID),
		fmt.Sprintf("%d: event", unlinked),
		"does not link to the previous event of " + strings.TrimSuffix(subject, "SNV") + "KBNN",
		fmt.Sprintf("%d: event id %s used before", reused, second.ID),
		"names another aggregate than its subject",
		fmt.Sprintf("%d: not a commit as thidua writes one", notCommit),
		fmt.Sprintf("%d: messages lost up to %d", end-2, end),
	} {
		assert.Contains(t, out, says)
	}
}

// TestTheREADMEsPythonIsTheTestedOne: the Python the README gives an inspector is, line for
// line, the Python these tests run, so that what the README promises is what was tested.
func TestTheREADMEsPythonIsTheTestedOne(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n( *)```python\n(.*?)\n *```\n").FindAllStringSubmatch(string(readme), -1) {
		indent := m[1]
		lines := strings.Split(m[2], "\n")
		for i, l := range lines {
			lines[i] = strings.TrimPrefix(l, indent)
		}
		blocks = append(blocks, strings.Join(lines, "\n")+"\n")
	}
	assert.Contains(t, blocks, archiveCheckPy)
	assert.Contains(t, blocks, chainCheckPy)
}
