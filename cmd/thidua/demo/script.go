package demo

import (
	"time"

	"thidua/domain"
)

// comp is one index component score of a unit: this year's and last year's, or not
// published yet (Value and Previous zero, NotPublished set).
type comp struct {
	Index, Component string
	Value, Previous  float64
	NotPublished     bool
	Note             string
}

// profile is what Sở Nội vụ records about a unit in one round of facts.
type profile struct {
	Unit   string
	Rating string
	Par    float64
	// Disb is the share of public investment disbursed; NoDisb leaves it out (a
	// successor that relies on its predecessor's figure).
	Disb   float64
	NoDisb bool
	// NoCapital, when set, is the grounds on which the unit was assigned no public
	// investment capital (disbursement_pct recorded as not assigned).
	NoCapital         string
	Cause, DisbNote   string
	Late, Backlog     float64
	LateNote          string
	Comps             []comp
	Staff             float64
	StaffNote         string
	Sub               *float64 // parent units only
	Directives        float64
	Online, Women     float64
	Short             bool // a small commune: rating, score, dossiers and working hours only
	DirectivesNote    string
	OnlineServiceNote string
}

// juneFacts is the first round of facts (June 2025), for every unit but Sở Nội vụ (whose
// own reviewer may not record facts about it). Districts are parent units: they also
// have the share of their communes that broke administrative discipline.
func juneFacts() []profile {
	return []profile{
		{Unit: "VP-UBND", Rating: "Tốt", Par: 92.8, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Cải cách thủ tục hành chính", Value: 9.12, Previous: 8.45}, {Index: "SIPAS", Component: "Mức độ hài lòng chung", Value: 87.6, Previous: 84.9}}, Staff: 1.5, Online: 100, Women: 58},
		{Unit: "SO-TC", Rating: "Tốt", Par: 91.2, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Cải cách tài chính công", Value: 8.74, Previous: 8.02}, {Index: "PCI", Component: "Chi phí không chính thức", Value: 7.21, Previous: 6.85}}, Staff: 2.0, Online: 100, Women: 61},
		{Unit: "SO-XD", Rating: "Tốt", Par: 92.1, Disb: 100, DisbNote: "Theo báo cáo của đơn vị", Comps: []comp{{Index: "PAR_INDEX", Component: "Cải cách thủ tục hành chính", Value: 8.96, Previous: 8.31}, {Index: "PCI", Component: "Tiếp cận đất đai", Value: 6.92, Previous: 6.48}}, Staff: 3.1, Online: 100, Women: 38},
		{Unit: "SO-NNMT", Rating: "Tốt", Par: 84.2, Disb: 97.3, Cause: domain.CauseObjective, DisbNote: "Chưa giải ngân hết vốn các công trình thủy lợi do mưa lũ kéo dài (nguyên nhân khách quan)", Comps: []comp{{Index: "PCI", Component: "Tiếp cận đất đai", Value: 6.71, Previous: 6.40}}, Staff: 2.6, Online: 100, Women: 44},
		{Unit: "SO-KHCN", Rating: "Tốt", Par: 93.5, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số", Value: 9.41, Previous: 8.77}, {Index: "PAPI", Component: "Quản trị điện tử", Value: 5.12, Previous: 4.46}}, Staff: 1.2, Online: 100, Women: 52},
		{Unit: "SO-CT", Rating: "Tốt", Par: 85.0, Disb: 100, Late: 4, LateNote: "4 hồ sơ lĩnh vực công nghiệp trễ hẹn trên Hệ thống thông tin giải quyết TTHC của tỉnh", Comps: []comp{{Index: "PCI", Component: "Tính minh bạch", Value: 6.55, Previous: 6.31}}, Staff: 2.8, Online: 100, Women: 47},
		{Unit: "SO-GDDT", Rating: "Tốt", Par: 86.1, Disb: 100, Late: 2, LateNote: "Số liệu trích xuất ngày 31/5/2025, chưa đối soát", Comps: []comp{{Index: "SIPAS", Component: "Mức độ hài lòng chung", Value: 86.2, Previous: 83.0}}, Staff: 1.9, Online: 100, Women: 69},
		{Unit: "SO-YT", Rating: "Tốt", Par: 84.9, Disb: 100, Comps: []comp{{Index: "SIPAS", Component: "Mức độ hài lòng chung", Value: 85.4, Previous: 82.7}}, Staff: 2.2, Online: 100, Women: 72},
		{Unit: "SO-TP", Rating: "Tốt", Par: 89.7, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật", Value: 9.05, Previous: 8.60}}, Staff: 1.4, Online: 100, Women: 57},
		{Unit: "SO-VHTTDL", Rating: "Khá", Par: 80.4, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Cải cách thủ tục hành chính", Value: 7.90, Previous: 7.65}}, Staff: 3.5, Online: 96, Women: 50},
		{Unit: "SO-DTTG", Rating: "Khá", Par: 78.0, Disb: 100, Staff: 2.0, Online: 95, Women: 40},
		{Unit: "TTR", Rating: "Tốt", Par: 83.0, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Kiểm soát tham nhũng trong khu vực công", Value: 6.40, Previous: 6.12}}, Staff: 1.1, Online: 100, Women: 35},
		{Unit: "BQL-KCN", Rating: "Tốt", Par: 86.8, Disb: 100, Comps: []comp{{Index: "PCI", Component: "Chi phí thời gian", Value: 7.05, Previous: 6.90}}, Staff: 12, StaffNote: "Kiểm tra công vụ quý II/2025: 12% công chức, viên chức không chấp hành nghiêm giờ giấc làm việc", Online: 100, Women: 33},
		{Unit: "CA", Rating: "Tốt", Par: 87.0, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Thủ tục hành chính công", Value: 7.12, Previous: 6.95}}, Staff: 0.5, Online: 100, Women: 21},
		{Unit: "BHXH", Rating: "Tốt", Par: 87.6, NoCapital: "Cơ quan ngành dọc không được tỉnh giao vốn đầu tư công năm 2025 (Quyết định giao kế hoạch vốn của UBND tỉnh)", Comps: []comp{{Index: "SIPAS", Component: "Mức độ hài lòng chung", Value: 88.1, Previous: 85.5}}, Staff: 1.0, Online: 100, Women: 71},
		{Unit: "KBNN", Rating: "Tốt", Par: 90.4, NoCapital: "Cơ quan ngành dọc không được tỉnh giao vốn đầu tư công năm 2025 (Quyết định giao kế hoạch vốn của UBND tỉnh)", Comps: []comp{{Index: "PCI", Component: "Chi phí thời gian", Value: 7.44, Previous: 7.02}}, Staff: 0.8, Online: 100, Women: 64},
		{Unit: "CT", Rating: "Tốt", Par: 88.9, Disb: 100, Comps: []comp{{Index: "PCI", Component: "Chi phí không chính thức", Value: 7.01, Previous: 6.66}}, Staff: 1.6, Online: 100, Women: 55},
		{Unit: "CTK", Rating: "Tốt", Par: 82.5, Disb: 100, Comps: []comp{{Index: "PAR_INDEX", Component: "Hiện đại hóa hành chính", Value: 8.10, Previous: 7.72}}, Staff: 1.3, Online: 100, Women: 60},
		{Unit: "PRTC", Rating: "Tốt", Par: 85.5, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Cung ứng dịch vụ công", Value: 7.02, Previous: 6.81}, {Index: "PAR_INDEX", Component: "Cải cách thủ tục hành chính", Value: 8.66, Previous: 8.20}}, Staff: 2.5, Sub: num(4.5), Online: 100, Women: 54},
		{Unit: "NH", Rating: "Khá", Par: 79.2, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Thủ tục hành chính công", Value: 6.80, Previous: 6.92}}, Staff: 3.2, Sub: num(8), Online: 97, Women: 46},
		{Unit: "NP", Rating: "Tốt", Par: 83.2, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Cung ứng dịch vụ công", Value: 7.15, Previous: 6.90}}, Staff: 2.1, Sub: num(3), Online: 100, Women: 49},
		{Unit: "NS", Rating: "Tốt", Par: 81.0, Disb: 96, Cause: domain.CauseSubjective, DisbNote: "Giải ngân vốn đầu tư công năm 2025 ước đạt 96% kế hoạch; nguyên nhân chủ quan: chậm lập hồ sơ thanh toán, công tác giải phóng mặt bằng chưa quyết liệt", Comps: []comp{{Index: "PAPI", Component: "Thủ tục hành chính công", Value: 6.95, Previous: 6.70}}, Staff: 2.7, Sub: num(5), Online: 100, Women: 45},
		{Unit: "BA", Rating: "Khá", Par: 77.5, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Cung ứng dịch vụ công", Value: 6.20, Previous: 6.05}}, Staff: 3.0, Sub: num(7.5), Online: 94, Women: 42},
		{Unit: "TB", Rating: "Tốt", Par: 80.1, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Thủ tục hành chính công", Value: 6.88, Previous: 6.61}}, Staff: 2.3, Sub: num(4), Online: 100, Women: 47},
		{Unit: "TN", Rating: "Tốt", Par: 80.6, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Cung ứng dịch vụ công", Value: 6.93, Previous: 6.74}}, Staff: 2.0, Sub: num(3.5), Online: 100, Women: 48},
		{Unit: "P-DAOLONG", Rating: "Tốt", Par: 80.0, Staff: 1.8, Short: true},
		{Unit: "P-MYHAI", Rating: "Tốt", Par: 82.0, Disb: 100, Comps: []comp{{Index: "SIPAS", Component: "Mức độ hài lòng chung", Value: 84.0, Previous: 81.5}}, Staff: 1.5, Online: 100, Women: 66},
		{Unit: "TT-KHANHHAI", Rating: "Khá", Par: 78.4, Staff: 2.4, Short: true},
		{Unit: "X-VINHHAI", Rating: "Khá", Par: 76.9, Disb: 100, Staff: 2.9, Online: 95, Women: 51},
		{Unit: "TT-PHUOCDAN", Rating: "Tốt", Par: 79.5, Staff: 1.9, Short: true},
		{Unit: "TT-TANSON", Rating: "Khá", Par: 77.0, Staff: 2.6, Short: true},
		{Unit: "X-PHUOCBINH", Rating: "Tốt", Par: 79.8, Disb: 100, Comps: []comp{{Index: "PAPI", Component: "Cung ứng dịch vụ công", Value: 6.30, Previous: 6.02}}, Staff: 1.7, Online: 100, Women: 53},
		{Unit: "X-LOIHAI", Rating: "Khá", Par: 76.2, Staff: 2.2, Short: true},
		{Unit: "X-PHUOCNAM", Rating: "Khá", Par: 75.8, Staff: 2.5, Short: true},
	}
}

// successorFacts is the round of November 2025 for the successors that carry
// nominations: their own figures after the reorganisation. Index components are not
// recorded again (the predecessors' stand), nor is Xã Ninh Sơn's disbursement: Huyện
// Ninh Sơn's figure (96%, subjective) is inherited, and it excludes.
func successorFacts() []profile {
	return []profile{
		{Unit: "P-PHANRANG", Rating: "Tốt", Par: 86.0, Disb: 100, Staff: 2.0, Online: 100, Women: 56},
		{Unit: "P-NINHCHU", Rating: "Khá", Par: 79.9, Disb: 100, Staff: 2.8, Online: 97, Women: 48},
		{Unit: "X-NINHPHUOC", Rating: "Tốt", Par: 83.2, Disb: 100, Staff: 2.2, Online: 100, Women: 50},
		{Unit: "X-NINHSON", Rating: "Tốt", Par: 81.4, NoDisb: true, Staff: 2.4, Online: 100, Women: 46},
		{Unit: "X-THUANBAC", Rating: "Tốt", Par: 80.3, Disb: 100, Staff: 2.1, Online: 100, Women: 49},
	}
}

// record records a profile's facts (reviewer).
func (s *seeder) record(p profile) {
	f := func(d domain.FactRecordedData) { s.fact(p.Unit, d) }
	f(domain.FactRecordedData{Fact: domain.FactParRating, Text: p.Rating, Note: "Kết quả đánh giá, xếp loại CCHC năm 2025"})
	f(domain.FactRecordedData{Fact: domain.FactParIndexScore, Number: num(p.Par), Note: "Điểm Chỉ số CCHC (PAR INDEX) năm 2025"})
	if p.NoCapital != "" {
		f(domain.FactRecordedData{Fact: domain.FactDisbursementPct, Status: domain.StatusNotAssigned, Note: p.NoCapital})
	} else if !p.Short && !p.NoDisb {
		f(domain.FactRecordedData{Fact: domain.FactDisbursementPct, Number: num(p.Disb), Cause: p.Cause, Note: p.DisbNote})
	}
	f(domain.FactRecordedData{Fact: domain.FactLateDossiers, Number: num(p.Late), Note: p.LateNote})
	f(domain.FactRecordedData{Fact: domain.FactBacklogDossiers, Number: num(p.Backlog)})
	for _, c := range p.Comps {
		d := domain.FactRecordedData{Fact: domain.FactIndexComponent, Index: c.Index, Component: c.Component, Note: c.Note}
		if c.NotPublished {
			d.Status = domain.StatusNotPublished
		} else {
			d.Number, d.Previous = num(c.Value), num(c.Previous)
		}
		f(d)
	}
	f(domain.FactRecordedData{Fact: domain.FactStaffHoursViolationPct, Number: num(p.Staff), Note: p.StaffNote})
	if p.Short {
		return
	}
	if p.Sub != nil {
		f(domain.FactRecordedData{Fact: domain.FactSubordinateViolationPct, Number: p.Sub})
	}
	f(domain.FactRecordedData{Fact: domain.FactLateDirectives, Number: num(p.Directives), Note: p.DirectivesNote})
	f(domain.FactRecordedData{Fact: domain.FactOnlineServicePct, Number: num(p.Online), Note: p.OnlineServiceNote})
	f(domain.FactRecordedData{Fact: domain.FactWomenPct, Number: num(p.Women)})
}

// nomSpec is one nomination of the autumn dossiers, with its unit council's vote.
type nomSpec struct {
	Nominee                   domain.Nominee
	Members, Present, Approve int
}

// group is the nominations one unit prepares and submits in one sitting.
type group struct {
	Unit string
	Noms []nomSpec
}

// autumnGroups are the dossiers the departments, vertical agencies and communes prepare
// in September, in that order. TTR (Thanh tra tỉnh) never submitted its own emulation
// plan; Sở Nội vụ's dossier is submitted later (its own reviewer may not rule on it).
func autumnGroups() []group {
	c := func(m, p, a int) nomSpec { return nomSpec{Nominee: collective, Members: m, Present: p, Approve: a} }
	i := func(n domain.Nominee, m, p, a int) nomSpec {
		return nomSpec{Nominee: n, Members: m, Present: p, Approve: a}
	}
	return []group{
		{"SO-KHCN", []nomSpec{c(11, 11, 10),
			i(person("Phạm Thị Thanh Thảo", "Chuyên viên phòng Chuyển đổi số", "female", false), 11, 11, 10),
			i(person("Lê Hoàng Phúc", "Phó Giám đốc Sở Khoa học và Công nghệ", "male", false), 11, 11, 10)}},
		{"VP-UBND", []nomSpec{c(13, 12, 12),
			i(notHead(person("Trần Thị Ngọc Hân", "Giám đốc Trung tâm Phục vụ hành chính công tỉnh", "female", false)), 13, 12, 11),
			i(person("Lê Văn Thành", "Phó Chánh Văn phòng UBND tỉnh", "male", false), 13, 12, 11)}},
		{"SO-XD", []nomSpec{c(9, 9, 8)}},
		{"SO-TC", []nomSpec{c(11, 10, 10),
			i(person("Nguyễn Thị Minh Nguyệt", "Giám đốc Sở Tài chính", "female", true), 11, 10, 9),
			i(person("Trần Văn Hưng", "Trưởng phòng Quản lý ngân sách", "male", false), 11, 10, 9)}},
		{"KBNN", []nomSpec{c(9, 9, 9),
			i(person("Đỗ Thị Hồng Nhung", "Trưởng phòng Kiểm soát chi", "female", false), 9, 9, 8)}},
		{"CT", []nomSpec{c(11, 11, 9),
			i(person("Huỳnh Văn Tài", "Trưởng phòng Quản lý hộ kinh doanh, cá nhân", "male", false), 11, 11, 9)}},
		{"SO-TP", []nomSpec{c(9, 8, 8),
			i(person("Nguyễn Văn Bình", "Trưởng phòng Hành chính tư pháp", "male", false), 9, 8, 7)}},
		{"BHXH", []nomSpec{c(9, 9, 8),
			i(person("Võ Thị Kim Oanh", "Giám đốc Bảo hiểm xã hội tỉnh", "female", true), 9, 9, 8)}},
		{"CA", []nomSpec{c(15, 14, 13),
			i(person("Nguyễn Đức Anh", "Trưởng phòng Cảnh sát quản lý hành chính về trật tự xã hội", "male", false), 15, 14, 12)}},
		{"SO-GDDT", []nomSpec{c(11, 10, 9),
			i(person("Phan Thị Thu Trang", "Chuyên viên phòng Tổ chức cán bộ", "female", false), 11, 10, 9)}},
		{"SO-YT", []nomSpec{c(11, 11, 10),
			i(person("Đặng Văn Lợi", "Trưởng phòng Nghiệp vụ Dược", "male", false), 11, 11, 9),
			i(person("Hồ Văn Khánh", "Phó Giám đốc Sở Y tế", "male", false), 11, 11, 8)}},
		{"SO-NNMT", []nomSpec{c(11, 10, 9),
			i(person("Lưu Văn Sơn", "Giám đốc Sở Nông nghiệp và Môi trường", "male", true), 11, 10, 8)}},
		{"SO-CT", []nomSpec{c(9, 9, 7),
			i(person("Vũ Minh Khoa", "Phó Trưởng phòng Quản lý thương mại", "male", false), 9, 9, 7)}},
		{"BQL-KCN", []nomSpec{c(7, 7, 6)}},
		{"CTK", []nomSpec{c(7, 6, 6)}},
		{"TTR", []nomSpec{c(9, 9, 8)}},
		{"SO-VHTTDL", []nomSpec{c(9, 8, 7)}},
		{"P-MYHAI", []nomSpec{c(7, 7, 6),
			i(person("Nguyễn Thị Lan", "Công chức Tư pháp - Hộ tịch phường", "female", false), 7, 7, 6)}},
		{"X-PHUOCBINH", []nomSpec{
			i(person("Chamaléa Thị Hòa", "Công chức Văn phòng - Thống kê xã", "female", false), 9, 8, 8)}},
	}
}

// slot returns the i-th time slot of a schedule: perDay slots a working day from the
// working day (month, day) on, the first at 08:00 and the next ones spacing apart.
func slot(month time.Month, day, i, perDay int, spacing time.Duration) (time.Month, int, int, int) {
	t := time.Date(2025, month, day, 8, 0, 0, 0, ICT)
	for n := i / perDay; n > 0; {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && !holiday(t) {
			n--
		}
	}
	t = t.Add(time.Duration(i%perDay) * spacing)
	return t.Month(), t.Day(), t.Hour(), t.Minute()
}

// holiday reports the public holidays of 2025 that fall in the demo's working weeks.
func holiday(t time.Time) bool {
	d := t.Format("01-02")
	return d == "04-30" || d == "05-01" || d == "09-01" || d == "09-02"
}

// Labels of the nominations the story refers to by name.
const (
	nomPRTC     = "PRTC/tap-the"
	nomNgoc     = "PRTC/le-thi-bich-ngoc"
	nomNP       = "NP/tap-the"
	nomDung     = "NP/truong-van-dung"
	nomNS       = "NS/tap-the"
	nomNH       = "NH/tap-the"
	nomHai      = "TB/nguyen-van-hai"
	nomTN       = "TN/tap-the"
	nomSONV     = "SO-NV/tap-the"
	nomVinhHai  = "X-VINHHAI/tap-the"
	nomDTTG     = "SO-DTTG/tap-the"
	nomLien     = "X-THUANBAC/nguyen-thi-kim-lien"
	nomTP       = "SO-TP/tap-the"
	nomVHTTDL   = "SO-VHTTDL/tap-the"
	nomAnh      = "CA/nguyen-duc-anh"
	nomKhanh    = "SO-YT/ho-van-khanh"
	nomKHCN     = "SO-KHCN/tap-the"
	nomVPUBND   = "VP-UBND/tap-the"
	nomXD       = "SO-XD/tap-the"
	nomThao     = "SO-KHCN/pham-thi-thanh-thao"
	nomPhuc     = "SO-KHCN/le-hoang-phuc"
	awardDecide = "Quyết định số 3125/QĐ-UBND ngày 05/12/2025 của Chủ tịch Ủy ban nhân dân tỉnh về việc tặng Bằng khen cho các tập thể, cá nhân có thành tích xuất sắc trong phong trào thi đua đẩy mạnh cải cách hành chính năm 2025"
)

// story is the demo: the 2025 campaign from the units' plans to the awards, in time order.
func (s *seeder) story() {
	units, err := csvUnits()
	if err != nil {
		s.fail(err)
		return
	}

	// 1 April: the demo's users and the province's units.
	s.at(time.April, 1, 7, 0)
	s.admin = s.user(account(AdminToken))
	s.council = s.user(account(CouncilToken))
	s.at(time.April, 1, 8, 0)
	for _, u := range units {
		s.unit(u)
	}
	s.at(time.April, 1, 9, 0)
	s.reviewer = s.user(account(ReviewerToken))
	for _, u := range units {
		s.clerk(u.ID)
	}

	// April: every unit but Thanh tra tỉnh submits its own emulation plan (plan V.1).
	i := 0
	for _, u := range units {
		if u.ID == "TTR" {
			continue
		}
		s.at(slot(time.April, 7, i, 6, time.Hour))
		s.plan(u.ID)
		i++
	}

	// June: Sở Nội vụ records the first round of facts.
	for i, p := range juneFacts() {
		s.at(slot(time.June, 2, i, 4, 100*time.Minute))
		s.record(p)
	}

	// June: the districts and the city prepare their dossiers before the district level ends.
	s.at(time.June, 16, 8, 0)
	s.open(nomPRTC, "PRTC", collective)
	s.attach(nomPRTC, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting)
	s.vote(nomPRTC, 11, 10, 9)
	s.open(nomNgoc, "PRTC", person("Lê Thị Bích Ngọc", "Trưởng phòng Nội vụ thành phố Phan Rang - Tháp Chàm", "female", false))
	s.attach(nomNgoc, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport)
	s.vote(nomNgoc, 11, 10, 9)
	s.at(time.June, 17, 8, 0)
	s.open(nomNP, "NP", collective)
	s.attach(nomNP, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting)
	s.vote(nomNP, 9, 9, 8)
	s.open(nomDung, "NP", notHead(person("Trương Văn Dũng", "Chánh Văn phòng HĐND và UBND huyện Ninh Phước", "male", false)))
	s.attach(nomDung, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport)
	s.vote(nomDung, 9, 9, 8)
	s.at(time.June, 18, 8, 0)
	s.open(nomNS, "NS", collective)
	s.attach(nomNS, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting)
	s.vote(nomNS, 9, 8, 7)
	s.at(time.June, 19, 8, 0)
	s.open(nomNH, "NH", collective)
	s.attach(nomNH, 1, domain.DocLetter)
	s.at(time.June, 20, 8, 0)
	s.open(nomHai, "TB", person("Nguyễn Văn Hải", "Phó Chủ tịch UBND huyện Thuận Bắc", "male", false))
	s.attach(nomHai, 1, domain.DocLetter, domain.DocAchievementReport)
	s.at(time.June, 23, 8, 0)
	s.open(nomTN, "TN", collective)
	s.attach(nomTN, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting)
	s.vote(nomTN, 9, 9, 7)

	// 1 July: the district level is abolished. Each district hands its tasks, history and
	// open nominations to the commune-level unit at its seat.
	s.at(time.July, 1, 8, 0)
	for _, m := range mergers() {
		s.merge(m)
	}
	s.at(time.July, 1, 9, 0)
	for _, u := range successorUnits() {
		s.clerk(u.ID)
	}
	s.at(time.July, 15, 9, 0)
	s.plan("P-PHANRANG")

	// August: Sở Nội vụ sets the deadline for dossiers (plan III.3 leaves it to Sở Nội vụ).
	s.at(time.August, 15, 9, 0)
	s.deadline(time.Date(2025, time.November, 28, 17, 0, 0, 0, ICT))
	s.at(time.August, 28, 9, 0)
	s.withdraw(nomTN, "Sau sắp xếp đơn vị hành chính, Xã Thuận Nam đang kiện toàn tổ chức bộ máy; xin rút hồ sơ đề nghị của UBND huyện Thuận Nam chuyển sang")

	// September: departments, vertical agencies and communes prepare and submit dossiers.
	for i, g := range autumnGroups() {
		s.at(slot(time.September, 3, i, 3, 2*time.Hour))
		for _, n := range g.Noms {
			s.dossier(labelOf(g.Unit, n.Nominee), g.Unit, n.Nominee, n.Members, n.Present, n.Approve)
		}
	}
	// The successors submit the dossiers they inherited.
	s.at(time.September, 15, 9, 0)
	s.submit(nomPRTC)
	s.submit(nomNgoc)
	s.at(time.September, 17, 9, 0)
	s.submit(nomNP)
	s.submit(nomDung)
	s.at(time.September, 19, 9, 0)
	s.submit(nomNS)
	s.at(time.September, 25, 9, 0)
	s.dossier(nomSONV, "SO-NV", collective, 11, 11, 10)

	// October: a failed council vote, an incomplete draft, a dossier returned and amended,
	// and the last submissions before the deadline.
	s.at(time.October, 8, 9, 0)
	s.open(nomVinhHai, "X-VINHHAI", collective)
	s.attach(nomVinhHai, 1, domain.DocLetter, domain.DocCouncilMinutes, domain.DocAchievementReport)
	s.vote(nomVinhHai, 9, 7, 5)
	s.refusedSubmit(nomVinhHai, "council_vote_failed")
	s.at(time.October, 15, 9, 0)
	s.open(nomDTTG, "SO-DTTG", collective)
	s.attach(nomDTTG, 1, domain.DocLetter)
	s.at(time.October, 20, 9, 0)
	for _, c := range []string{"C01", "C02", "C03"} {
		s.rule(nomTP, c, domain.ResultMet, rulingNotes[c])
	}
	s.reviewerAction("return", nomTP, "Báo cáo thành tích chưa nêu kết quả tiêu chí C05, C06 (mục III.2.c của Kế hoạch); đề nghị bổ sung số liệu TTHC gắn với chuyển đổi số")
	s.at(time.October, 22, 9, 0)
	s.attach(nomNH, 1, domain.DocCouncilMinutes, domain.DocAchievementReport, domain.DocSupporting)
	s.vote(nomNH, 9, 8, 7)
	s.submit(nomNH)
	s.at(time.October, 23, 9, 0)
	s.attach(nomTP, 2, domain.DocAchievementReport)
	s.at(time.October, 24, 9, 0)
	s.submit(nomTP)
	s.at(time.October, 29, 9, 0)
	s.open(nomLien, "X-THUANBAC", person("Nguyễn Thị Kim Liên", "Công chức Văn hóa - Xã hội xã", "female", false))
	s.attach(nomLien, 1, domain.DocLetter)
	s.at(time.October, 30, 9, 0)
	s.attach(nomHai, 1, domain.DocCouncilMinutes)
	s.vote(nomHai, 9, 9, 8)
	s.submit(nomHai)

	// November: the second round of facts, then the review.
	s.at(time.November, 3, 8, 0)
	s.fact("CTK", domain.FactRecordedData{Fact: domain.FactIndexComponent, Index: "SIPAS", Component: "Mức độ hài lòng về dịch vụ thống kê", Status: domain.StatusNotPublished, Note: "Kết quả SIPAS năm 2025 chưa được công bố"})
	s.fact("P-MYHAI", domain.FactRecordedData{Fact: domain.FactIndexComponent, Index: "SIPAS", Component: "Mức độ hài lòng đối với UBND cấp xã", Status: domain.StatusNotPublished, Note: "Kết quả SIPAS năm 2025 chưa được công bố"})
	s.fact("SO-GDDT", domain.FactRecordedData{Fact: domain.FactLateDossiers, Number: num(0), Note: "Đối soát trên Hệ thống thông tin giải quyết TTHC: 2 hồ sơ ghi nhận trễ hẹn do lỗi đồng bộ dữ liệu, đã điều chỉnh"})
	s.at(time.November, 4, 8, 0)
	for _, p := range successorFacts() {
		s.record(p)
	}
	s.at(time.November, 5, 9, 0)
	s.reviewerAction("return", nomNH, "Báo cáo thành tích còn sử dụng số liệu của UBND huyện Ninh Hải trước sắp xếp; đề nghị Phường Ninh Chử bổ sung kết quả từng tiêu chí sau ngày 01/7/2025")
	type review struct {
		labels []string
	}
	var reviews []review
	for _, g := range autumnGroups() {
		r := review{}
		for _, n := range g.Noms {
			label := labelOf(g.Unit, n.Nominee)
			if label != nomVHTTDL {
				r.labels = append(r.labels, label)
			}
		}
		if len(r.labels) > 0 {
			reviews = append(reviews, r)
		}
	}
	reviews = append(reviews, review{labels: []string{nomPRTC, nomNgoc}}, review{labels: []string{nomNP, nomDung}}, review{labels: []string{nomNS}})
	for i, r := range reviews {
		s.at(slot(time.November, 6, i, 3, 2*time.Hour))
		for _, l := range r.labels {
			s.ruleAll(l)
		}
	}
	s.at(time.November, 17, 9, 0)
	for _, c := range []string{"C01", "C02", "C03"} {
		s.rule(nomVHTTDL, c, domain.ResultMet, rulingNotes[c])
	}
	s.rule(nomVHTTDL, "C07", domain.ResultNotMet, "Sáng kiến nêu trong báo cáo chưa được Hội đồng sáng kiến công nhận; đề nghị bổ sung quyết định công nhận")
	s.reviewerAction("hold", nomAnh, "Có đơn phản ánh liên quan đến cá nhân, đang được xác minh theo quy định")
	s.at(time.November, 18, 9, 0)
	s.reviewerAction("hold", nomKhanh, "Đang xem xét trách nhiệm theo kết luận thanh tra về mua sắm trang thiết bị y tế; tạm dừng xét khen thưởng theo Luật Thi đua, khen thưởng 2022")
	s.at(time.November, 19, 9, 0)
	s.reviewerAction("release", nomAnh, "Kết quả xác minh: nội dung phản ánh không có cơ sở")

	// December: the provincial council grants awards within the quota; an inspection then
	// finds one dossier's disbursement figure false, and that award is revoked.
	s.at(time.December, 5, 9, 0)
	granted := []string{nomKHCN, nomVPUBND, nomXD, nomThao, nomPhuc}
	s.recommended(granted...)
	for _, l := range granted {
		s.grant(l, awardDecide)
	}
	s.at(time.December, 19, 9, 0)
	s.fact("SO-XD", domain.FactRecordedData{Fact: domain.FactDisbursementPct, Number: num(94.6), Cause: domain.CauseSubjective,
		Note: "Điều chỉnh theo Kết luận thanh tra số 215/KL-TTr ngày 19/12/2025: giải ngân thực tế 94,6%, nguyên nhân chủ quan (báo cáo trước đây kê khai 100%)"})
	s.at(time.December, 22, 9, 0)
	s.revoke(nomXD, domain.GroundFalseDeclaration, "Kê khai không đúng tỷ lệ giải ngân vốn đầu tư công năm 2025 (Kết luận thanh tra số 215/KL-TTr ngày 19/12/2025)")

	// 31 December: the inspectorate's auditor account, the last step (it marks the demo as complete).
	s.at(time.December, 31, 16, 0)
	s.user(account(AuditorToken))
}
