package rankexport

import "thidua/domain"

// label returns the text of key in lang: the headers, the metadata's labels and the
// values that are words (kinds, yes and no, ranking keys). The catalogue is a function
// rather than a map so that it cannot be changed at run time.
func label(lang Lang, key string) string {
	vi, en := labels(key)
	if lang == English {
		return en
	}
	return vi
}

// labels returns the Vietnamese and English text of key; an unknown key is returned as
// it is in both (a campaign's ranking key the exports do not know yet).
func labels(key string) (vi, en string) {
	switch key {
	// The metadata.
	case "title":
		return "Danh sách xếp hạng đề nghị khen thưởng", "Ranking of the nominations"
	case "meta.campaign":
		return "Mã đợt thi đua", "Campaign id"
	case "meta.campaign_name":
		return "Tên đợt thi đua", "Campaign"
	case "meta.as_of":
		return "Tính đến (giờ Việt Nam GMT+7)", "As of (Vietnam time GMT+7)"
	case "meta.as_of_rfc3339":
		return "Tính đến (RFC 3339)", "As of (RFC 3339)"
	case "meta.as_of_seq":
		return "Số thứ tự trong luồng sự kiện (sự kiện cuối cùng được tính)", "Stream sequence (last event taken into account)"
	case "meta.digest":
		return "Mã niêm phong dữ liệu (SHA-256 của luồng sự kiện đến số thứ tự trên; kiểm tra lại: thidua digest --at seq:N)",
			"Stream digest (SHA-256 of the event stream up to the sequence above; check it again: thidua digest --at seq:N)"
	case "meta.integrity":
		return "Cảnh báo toàn vẹn dữ liệu", "Integrity warning"
	case "meta.requested":
		return "Thời điểm yêu cầu", "Moment asked for"
	case "meta.live":
		return "hiện tại", "now"
	case "meta.generated":
		return "Thời điểm lập tệp (giờ Việt Nam GMT+7)", "Generated at (Vietnam time GMT+7)"
	case "meta.keys":
		return "Thứ tự tiêu chí xếp hạng", "Ranking keys, in order"
	case "meta.kind":
		return "Loại", "Kind"
	case "meta.quota":
		return "Chỉ tiêu", "Quota"
	case "meta.awarded":
		return "Đã khen thưởng", "Awarded"
	case "meta.entries":
		return "Số hồ sơ được xếp hạng", "Nominations ranked"
	case "meta.ahead":
		return "at=%s (chưa đến; trả lời tại thời điểm yêu cầu: at=%s)", "at=%s (still to come; answered as of when it was asked: at=%s)"
	case "meta.settled":
		return "seq=%d (đến hết lần ghi nguyên khối chứa nó: seq=%d)", "seq=%d (to the end of the atomic append it falls in: seq=%d)"
	case "meta.unranked":
		return "Khen thưởng còn hiệu lực, hồ sơ không đủ điều kiện tại thời điểm này (giữ chỉ tiêu đến khi thu hồi)",
			"Award in force, nomination not eligible at this moment (holds a place until revoked)"
	case "meta.sheet":
		return "Thông tin", "Information"

	// The kinds, as values and as sheet names.
	case string(domain.NomineeCollective):
		return "Tập thể", "Collective"
	case string(domain.NomineeIndividual):
		return "Cá nhân", "Individual"
	case "sheet." + string(domain.NomineeCollective):
		return "Tập thể", "Collectives"
	case "sheet." + string(domain.NomineeIndividual):
		return "Cá nhân", "Individuals"
	case "yes":
		return "Có", "Yes"
	case "no":
		return "Không", "No"
	case "withheld." + domain.WithheldLineage:
		return "Không: đơn vị đã có hồ sơ xếp trên", "No: its unit ranks above with another nomination"
	case "withheld." + domain.WithheldPerson:
		return "Không: người này đã có hồ sơ xếp trên", "No: the same person ranks above with another nomination"
	case "withheld." + domain.WithheldPersonOnHold:
		return "Không: người này có hồ sơ khác đang tạm dừng xét", "No: the same person has another nomination on hold"
	case "withheld." + domain.WithheldUnitOnHold:
		return "Không: đơn vị có hồ sơ tập thể khác đang tạm dừng xét", "No: its unit has another collective nomination on hold"
	case "withheld." + domain.WithheldUndisclosed:
		return "Không (lý do không công bố với đơn vị khác)", "No (the reason is not shown to other units)"

	// The columns.
	case "col.kind":
		return "Loại", "Kind"
	case "col.rank":
		return "Hạng", "Rank"
	case "col.nomination":
		return "Mã hồ sơ", "Nomination"
	case "col.unit":
		return "Mã đơn vị", "Unit"
	case "col.name":
		return "Tên tập thể / cá nhân", "Name"
	case "col.recommended":
		return "Trong chỉ tiêu (đề nghị)", "Within quota (recommended)"
	case "col.awarded":
		return "Đã khen thưởng", "Awarded"
	case "col.decided_by":
		return "Xếp sau hồ sơ liền trên theo", "Placed below the previous by"
	case "col." + domain.KeyParIndexScore:
		return "Điểm PAR INDEX", "PAR INDEX score"
	case "col." + domain.KeyImprovedComponents:
		return "Số chỉ số thành phần tăng", "Improved index components"
	case "col." + domain.KeyApprovalRatio:
		return "Tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị", "Approval ratio of the unit's emulation council"
	case "col." + domain.KeyPriority:
		return "Ưu tiên (nữ / tập thể có từ 70% nữ)", "Priority (women / collectives with 70% women)"
	case "col." + domain.KeySubmittedAt:
		return "Thời điểm trình hồ sơ hoàn chỉnh (GMT+7)", "Complete submission (GMT+7)"

	// The ranking keys, as decided_by names them.
	case domain.KeyParIndexScore:
		return "điểm PAR INDEX", "PAR INDEX score"
	case domain.KeyImprovedComponents:
		return "số chỉ số thành phần tăng", "improved index components"
	case domain.KeyApprovalRatio:
		return "tỷ lệ tán thành của Hội đồng Thi đua-Khen thưởng đơn vị", "approval ratio of the unit's emulation council"
	case domain.KeyPriority:
		return "ưu tiên nữ / tập thể có từ 70% nữ", "priority to women / collectives with 70% women"
	case domain.KeySubmittedAt:
		return "thời điểm trình hồ sơ hoàn chỉnh", "earliest complete submission"
	case domain.KeyName:
		return "tên (thứ tự tiếng Việt)", "name (Vietnamese collation)"
	case "nomination":
		return "mã hồ sơ", "nomination id"
	}
	return key, key
}
