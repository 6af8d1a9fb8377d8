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
