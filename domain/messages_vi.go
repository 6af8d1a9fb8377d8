package domain

import "strings"

// factVI returns a fact's Vietnamese name, for the Vietnamese messages and notes of the
// eligibility evaluation (the fact's own name when it has none).
func factVI(fact string) string {
	switch fact {
	case FactParRating:
		return "xếp loại cải cách hành chính"
	case FactParIndexScore:
		return "điểm PAR INDEX"
	case FactDisbursementPct:
		return "tỷ lệ giải ngân vốn đầu tư công"
	case FactLateDossiers:
		return "số hồ sơ thủ tục hành chính trễ hẹn"
	case FactBacklogDossiers:
		return "số hồ sơ tồn đọng"
	case FactLateDirectives:
		return "số văn bản chỉ đạo, điều hành chưa đảm bảo thời hạn"
	case FactIndexComponent:
		return "chỉ số thành phần"
	case FactStaffHoursViolationPct:
		return "tỷ lệ cán bộ, công chức, viên chức vi phạm giờ giấc làm việc"
	case FactSubordinateViolationPct:
		return "tỷ lệ đơn vị thuộc, trực thuộc vi phạm kỷ luật, kỷ cương hành chính"
	case FactOnlineServicePct:
		return "tỷ lệ đạt chỉ tiêu dịch vụ công trực tuyến"
	case FactWomenPct:
		return "tỷ lệ nữ"
	}
	return fact
}

// causeVI returns a shortfall's cause in Vietnamese.
func causeVI(cause string) string {
	switch cause {
	case CauseSubjective:
		return "chủ quan"
	case CauseObjective:
		return "khách quan"
	}
	return cause
}

// notRecordedVI says in Vietnamese that facts have not been recorded.
func notRecordedVI(facts ...string) string {
	names := make([]string, len(facts))
	for i, f := range facts {
		names[i] = factVI(f)
	}
	return "chưa ghi nhận " + strings.Join(names, ", ")
}

// withNote appends a note, in parentheses, to a message (the message alone when the note
// is empty).
func withNote(msg, note string) string {
	if note == "" {
		return msg
	}
	return msg + " (" + note + ")"
}

// TermVI returns the Vietnamese word for one of the codes events carry — a role, a
// nominee kind, a dossier part, a ruling's result, a ground of revocation, a fact, a
// shortfall's cause — for the Vietnamese summaries of the audit trail; any other code
// comes back as it is.
func TermVI(code string) string {
	switch code {
	case string(UnitDepartment):
		return "sở, ban, ngành tỉnh"
	case string(UnitVertical):
		return "cơ quan ngành dọc"
	case string(UnitDistrict):
		return "UBND cấp huyện"
	case string(UnitCommune):
		return "UBND cấp xã"
	case string(RoleAdmin):
		return "quản trị"
	case string(RoleClerk):
		return "cán bộ thi đua đơn vị"
	case string(RoleReviewer):
		return "chuyên viên thẩm định"
	case string(RoleCouncil):
		return "thư ký Hội đồng"
	case string(RoleAuditor):
		return "thanh tra"
	case string(RoleSystem):
		return "hệ thống"
	case StatusNotAssigned:
		return "không được giao"
	case StatusNotPublished:
		return "chưa công bố"
	case string(NomineeCollective):
		return "tập thể"
	case string(NomineeIndividual):
		return "cá nhân"
	case string(DocLetter):
		return "văn bản đề nghị khen thưởng"
	case string(DocCouncilMinutes):
		return "biên bản họp Hội đồng Thi đua-Khen thưởng"
	case string(DocAchievementReport):
		return "báo cáo thành tích"
	case string(DocSupporting):
		return "tài liệu kèm theo"
	case ResultMet:
		return "đạt"
	case ResultNotMet:
		return "không đạt"
	case ResultNotApplicable:
		return "không áp dụng"
	case GroundFalseDeclaration:
		return "khai man thành tích"
	case GroundForgedDocuments:
		return "giả mạo hồ sơ"
	case GroundUnlawfulApproval:
		return "đề nghị, xét duyệt khen thưởng trái quy định"
	case GroundCriteriaUnmet:
		return "sau đó phát hiện không đạt tiêu chuẩn"
	case CauseSubjective, CauseObjective:
		return causeVI(code)
	}
	return factVI(code)
}
