package projections

import (
	"fmt"
	"strings"
	"time"

	"thidua/domain"
)

// Summary returns a readable one-line summary of an event, in Vietnamese and in English,
// naming its actor by user id (times in UTC).
func Summary(e *Entry) (vi, en string) { return summarize(e, "", nil) }

// summarize is Summary naming the actor by name (by user id when name is empty), with the
// times of a campaign's event in the campaign's zone (zone returns it; nil: UTC).
func summarize(e *Entry, name string, zone func() *time.Location) (vi, en string) {
	who := e.Rec.Actor.User
	if name != "" {
		who = name
	}
	whoVI, whoEN := who, who
	switch r := string(e.Rec.Actor.Role); {
	case e.Rec.Actor.Role == domain.RoleSystem && who == string(domain.RoleSystem):
		// The engine itself, in each language's words (a review finding: "system (hệ
		// thống)" on a Vietnamese trail).
		whoVI, whoEN = "Hệ thống", "The system"
	case r != "":
		whoVI += " (" + domain.TermVI(r) + ")"
		whoEN += " (" + r + ")"
	}
	term := domain.TermVI
	switch d := e.Rec.Data.(type) {
	case domain.UnitRegisteredData:
		return fmt.Sprintf("%s đăng ký đơn vị %s — %s", whoVI, d.ID, d.Name), fmt.Sprintf("%s registered unit %s — %s", whoEN, d.ID, d.Name)
	case domain.PlanSubmittedData:
		return fmt.Sprintf("%s nộp kế hoạch thi đua của đơn vị cho %s", whoVI, d.Campaign), fmt.Sprintf("%s submitted the unit's emulation plan for %s", whoEN, d.Campaign)
	case domain.FactRecordedData:
		// The campaign is named, as a plan's and a nomination's are: a unit's figures of two
		// campaigns read alike otherwise (a review finding).
		return fmt.Sprintf("%s ghi nhận số liệu %s = %s cho %s", whoVI, term(d.Fact), factValue(d, true), d.Campaign),
			fmt.Sprintf("%s recorded fact %s = %s for %s", whoEN, d.Fact, factValue(d, false), d.Campaign)
	case domain.UnitMergedData:
		return fmt.Sprintf("Hợp nhất vào %s từ ngày %s (%s)", d.Successor, domain.DateVI(d.Effective), d.Decision), fmt.Sprintf("Merged into %s effective %s (%s)", d.Successor, d.Effective, d.Decision)
	case domain.UnitAbsorbedData:
		s := strings.Join(d.Sources, ", ")
		return fmt.Sprintf("Tiếp nhận %s từ ngày %s (%s)", s, domain.DateVI(d.Effective), d.Decision), fmt.Sprintf("Absorbed %s effective %s (%s)", s, d.Effective, d.Decision)
	case domain.UnitNominatedData:
		if d.Corrected {
			return fmt.Sprintf("%s sửa thông tin cá nhân được đề nghị %s trong %s (hồ sơ %s)", whoVI, d.Name, d.Campaign, d.Nomination),
				fmt.Sprintf("%s corrected the details of individual nominee %s in %s (nomination %s)", whoEN, d.Name, d.Campaign, d.Nomination)
		}
		who := term(string(d.Kind))
		if d.Name != "" {
			who += " " + d.Name
		}
		en := string(d.Kind)
		if d.Name != "" {
			en += " " + d.Name
		}
		return fmt.Sprintf("%s lập đề nghị khen thưởng %s trong %s (hồ sơ %s)", whoVI, who, d.Campaign, d.Nomination),
			fmt.Sprintf("%s opened a nomination of %s in %s (nomination %s)", whoEN, en, d.Campaign, d.Nomination)
	case domain.IDClaimedData:
		what := "đơn vị"
		if d.Kind == domain.KindCampaign {
			what = "đợt thi đua"
		}
		return fmt.Sprintf("%s dùng mã %s cho %s mới", whoVI, d.ID, what), fmt.Sprintf("%s took id %s for a new %s", whoEN, d.ID, d.Kind)
	case domain.NominationOpenedData:
		return fmt.Sprintf("%s lập đề nghị khen thưởng %s cho đơn vị %s", whoVI, term(string(d.Nominee.Kind)), d.Unit), fmt.Sprintf("%s opened a %s nomination for unit %s", whoEN, d.Nominee.Kind, d.Unit)
	case domain.DocumentAttachedData:
		return fmt.Sprintf("%s nộp %s (%s)", whoVI, term(string(d.Kind)), short(d.Document.SHA256)), fmt.Sprintf("%s attached %s (%s)", whoEN, d.Kind, short(d.Document.SHA256))
	case domain.CouncilVoteData:
		return fmt.Sprintf("%s ghi biên bản họp Hội đồng ngày %s: %d/%d có mặt, %d tán thành", whoVI, domain.DateVI(d.MeetingDate), d.Present, d.Members, d.Approve),
			fmt.Sprintf("%s recorded the council vote of %s: %d/%d present, %d in favour", whoEN, d.MeetingDate, d.Present, d.Members, d.Approve)
	case domain.SubmittedData:
		return whoVI + " trình hồ sơ", whoEN + " submitted the dossier"
	case domain.ReviewStartedData:
		return "Bắt đầu thẩm định", "Review started"
	case domain.CriterionRuledData:
		return fmt.Sprintf("%s kết luận tiêu chí %s: %s", whoVI, d.Criterion, term(d.Result)), fmt.Sprintf("%s ruled criterion %s: %s", whoEN, d.Criterion, d.Result)
	case domain.VerifiedData:
		return "Thẩm định xong: các tiêu chí do chuyên viên kết luận đều đạt hoặc không áp dụng",
			"Review finished: every criterion a reviewer rules on is met or not applicable"
	case domain.ReviewReopenedData:
		return "Mở lại thẩm định (tiêu chí " + d.Criterion + ")", "Review reopened (criterion " + d.Criterion + ")"
	case domain.ReasonData:
		return reasonSummary(e.Rec.Type, whoVI, whoEN, d.Reason)
	case domain.NominationAwardedData:
		return fmt.Sprintf("Được tặng Bằng khen (%s)", d.Decision), fmt.Sprintf("Awarded (%s)", d.Decision)
	case domain.NominationAwardRevokedData:
		return fmt.Sprintf("Bị thu hồi khen thưởng: %s", term(d.Ground)), fmt.Sprintf("Award revoked: %s", d.Ground)
	case domain.NomineeCorrectedData:
		vi, en := nomineeDetails(d.Nominee)
		return fmt.Sprintf("%s sửa thông tin cá nhân được đề nghị: %s. Lý do: %s", whoVI, vi, d.Reason),
			fmt.Sprintf("%s corrected the nominee's details: %s. Reason: %s", whoEN, en, d.Reason)
	case domain.TransferredData:
		return fmt.Sprintf("Chuyển từ %s sang %s (sắp xếp tổ chức, từ %s)", d.From, d.To, domain.DateVI(d.Effective)), fmt.Sprintf("Transferred from %s to %s (reorganisation effective %s)", d.From, d.To, d.Effective)
	case domain.CampaignLaunchedData:
		return fmt.Sprintf("%s phát động %s", whoVI, d.Definition.NameVI), fmt.Sprintf("%s launched %s", whoEN, d.Definition.NameEN)
	case domain.CampaignRevisedData:
		// The quota it sets, which decides how many awards are granted: an auditor reads
		// it here without comparing whole definitions (a review finding: "sửa đổi tiêu
		// chí" was all, also for a revision of the quota alone).
		q := d.Definition.Quota
		return fmt.Sprintf("%s sửa đổi đợt thi đua (phiên bản %d; chỉ tiêu %d tập thể, %d cá nhân)", whoVI, d.Definition.Version, q.Collective, q.Individual),
			fmt.Sprintf("%s revised the campaign (version %d; quota %d collectives, %d individuals)", whoEN, d.Definition.Version, q.Collective, q.Individual)
	case domain.DeadlineSetData:
		// As the campaign's users read it, in its zone (before, in UTC: 10:00 for a
		// deadline of 17:00 in Vietnam).
		if zone != nil {
			if loc := zone(); loc != nil {
				t := d.Closes.In(loc)
				return whoVI + " đặt hạn nộp hồ sơ: " + t.Format("15:04 02/01/2006"), whoEN + " set the nomination deadline: " + t.Format("2006-01-02 15:04 -07:00")
			}
		}
		t := d.Closes.UTC().Format("2006-01-02 15:04 MST")
		return whoVI + " đặt hạn nộp hồ sơ: " + t, whoEN + " set the nomination deadline: " + t
	case domain.AwardGrantedData:
		// Whom, as the decision names them: the unit, or the person of the unit; then the
		// nomination's id, which the trail's links lead to.
		whomVI, whomEN := "tập thể "+d.Unit, "the collective "+d.Unit
		if d.Kind == domain.NomineeIndividual && d.Nominee != "" {
			whomVI, whomEN = d.Nominee+" ("+d.Unit+")", d.Nominee+" ("+d.Unit+")"
		}
		vi, en := fmt.Sprintf("%s quyết định khen thưởng %s, hồ sơ %s (%s)", whoVI, whomVI, d.Nomination, d.Decision), fmt.Sprintf("%s granted an award to %s, nomination %s (%s)", whoEN, whomEN, d.Nomination, d.Decision)
		if d.RankingSeq != 0 {
			vi += fmt.Sprintf(", căn cứ bảng xếp hạng tính đến sự kiện #%d", d.RankingSeq)
			en += fmt.Sprintf(", relying on the ranking as of event #%d", d.RankingSeq)
		}
		return vi, en
	case domain.AwardRevokedData:
		return fmt.Sprintf("%s thu hồi khen thưởng %s của hồ sơ %s: %s", whoVI, d.Award, d.Nomination, term(d.Ground)), fmt.Sprintf("%s revoked award %s of nomination %s: %s", whoEN, d.Award, d.Nomination, d.Ground)
	case domain.UnitHoldNotedData:
		return fmt.Sprintf("%s tạm dừng xét hồ sơ %s của đơn vị (%s)", whoVI, d.Nomination, d.Campaign), fmt.Sprintf("%s put the unit's nomination %s on hold (%s)", whoEN, d.Nomination, d.Campaign)
	case domain.UnitSubordinateRegisteredData:
		return fmt.Sprintf("%s đăng ký đơn vị trực thuộc %s", whoVI, d.Unit), fmt.Sprintf("%s registered unit %s under this one", whoEN, d.Unit)
	case domain.UnitAwardNotedData:
		return fmt.Sprintf("Quyết định khen thưởng %s cho hồ sơ %s của đơn vị %s trong %s, căn cứ số liệu của đơn vị này", d.Award, d.Nomination, d.Unit, d.Campaign),
			fmt.Sprintf("Award %s granted to nomination %s of unit %s in %s, relying on this unit's facts", d.Award, d.Nomination, d.Unit, d.Campaign)
	case domain.UnitsMergedNotedData:
		src := strings.Join(d.Sources, ", ")
		return fmt.Sprintf("Ghi nhận hợp nhất %s vào %s (từ %s)", src, d.Successor, domain.DateVI(d.Effective)), fmt.Sprintf("Noted the merger of %s into %s (effective %s)", src, d.Successor, d.Effective)
	case domain.UserRegisteredData:
		return fmt.Sprintf("%s tạo người dùng %s (%s)", whoVI, d.Name, term(string(d.Role))), fmt.Sprintf("%s registered user %s (%s)", whoEN, d.Name, d.Role)
	case domain.UserDisabledData:
		return fmt.Sprintf("%s khóa người dùng %s", whoVI, d.ID), fmt.Sprintf("%s disabled user %s", whoEN, d.ID)
	case domain.UserTokenReissuedData:
		return fmt.Sprintf("%s cấp lại token cho người dùng %s (token cũ hết hiệu lực)", whoVI, d.ID), fmt.Sprintf("%s issued user %s a new token (the old one no longer works)", whoEN, d.ID)
	}
	if !e.Known {
		return "Sự kiện không xác định: " + e.Rec.Type, "Unknown event type: " + e.Rec.Type
	}
	return e.Rec.Type, e.Rec.Type
}

// nomineeDetails writes an individual nominee's details, in Vietnamese and in English.
func nomineeDetails(n domain.Nominee) (vi, en string) {
	vi, en = n.Name+", "+n.Position, n.Name+", "+n.Position
	switch n.Gender {
	case "female":
		vi, en = vi+", nữ", en+", female"
	case "male":
		vi, en = vi+", nam", en+", male"
	}
	if n.Head {
		vi, en = vi+", người đứng đầu đơn vị", en+", head of the unit"
	} else {
		vi, en = vi+", không phải người đứng đầu đơn vị", en+", not the head of the unit"
	}
	return vi, en
}

func reasonSummary(typ, whoVI, whoEN, reason string) (string, string) {
	switch typ {
	case domain.NominationReturned:
		return whoVI + " trả hồ sơ để bổ sung: " + reason, whoEN + " returned the dossier for amendment: " + reason
	case domain.NominationWithdrawn:
		return whoVI + " rút hồ sơ: " + reason, whoEN + " withdrew the nomination: " + reason
	case domain.NominationHeld:
		return whoVI + " tạm dừng xét: " + reason, whoEN + " put the nomination on hold: " + reason
	case domain.NominationReleased:
		return whoVI + " tiếp tục xét: " + reason, whoEN + " released the hold: " + reason
	}
	return typ + ": " + reason, typ + ": " + reason
}

// factValue writes a fact's value, in Vietnamese (vi) or English.
func factValue(d domain.FactRecordedData, vi bool) string {
	var v string
	switch {
	case d.Status != "" && vi:
		v = domain.TermVI(d.Status)
	case d.Status != "":
		v = d.Status
	case d.Text != "":
		v = d.Text
	case d.Number != nil:
		v = number(*d.Number, vi)
	}
	if d.Index != "" {
		v = fmt.Sprintf("%s/%s %s", d.Index, d.Component, v)
		if d.Previous != nil {
			if vi {
				v += " (năm trước " + number(*d.Previous, true) + ")"
			} else {
				v += fmt.Sprintf(" (previous year %g)", *d.Previous)
			}
		}
	}
	if d.Cause != "" {
		if vi {
			v += " [nguyên nhân " + domain.TermVI(d.Cause) + "]"
		} else {
			v += " [" + d.Cause + " cause]"
		}
	}
	return v
}

// number writes a number as its readers do: with a decimal comma in Vietnamese (93,5), as
// the pages' tables do (before, the trail said 93.5 beside a table's 93,5).
func number(v float64, vi bool) string { return domain.FormatNumber(v, vi) }

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12] + "…"
	}
	return sha
}
