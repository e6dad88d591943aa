// Package demo seeds a believable company into an empty database, so a
// newcomer can run `tierlink serve --demo` and look around.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
)

// Password is every demo account's password.
const Password = "tierlink-demo"

// Login is a demo account to print.
type Login struct {
	Email, Role, Name string
}

type staffSeed struct {
	email, name string
	role        user.Role
	locale      string
}

var staff = []staffSeed{
	{"admin@demo.tierlink.local", "周敏 Zhou Min", "admin", "zh-CN"},
	{"wang.fang@demo.tierlink.local", "王芳 Wang Fang", "buyer", "zh-CN"},
	{"li.qiang@demo.tierlink.local", "李强 Li Qiang", "buyer", "zh-CN"},
	{"emma.schulz@demo.tierlink.local", "Emma Schulz", "buyer", "en"},
	{"chen.jing@demo.tierlink.local", "陈静 Chen Jing", "viewer", "zh-CN"},
}

type partnerSeed struct {
	code, name string
	kind       partner.Kind
	tier       int
	cats, tags []string
	addr, tz   string
	contacts   [][3]string // name, title, email
}

var seeds = []partnerSeed{
	{"SUP-HX", "华星精密机械", "supplier", 1, []string{"CNC machining", "Housings"}, []string{"strategic"}, "苏州工业园区星湖街 88 号", "Asia/Shanghai",
		[][3]string{{"刘洋", "销售经理", "liu.yang@huaxing.example"}, {"孙丽", "物流专员", "sun.li@huaxing.example"}}},
	{"SUP-DY", "东岳电子", "supplier", 1, []string{"PCBA", "Cable harness"}, []string{"strategic"}, "深圳市宝安区福海街道", "Asia/Shanghai",
		[][3]string{{"黄伟", "客户经理", "huang.wei@dongyue.example"}, {"何静", "品质工程师", "he.jing@dongyue.example"}}},
	{"SUP-BOSCH-K", "Kessler Antriebstechnik GmbH", "supplier", 1, []string{"Gear motors"}, []string{"import"}, "Industriestr. 12, 70565 Stuttgart", "Europe/Berlin",
		[][3]string{{"Jonas Weber", "Key Account Manager", "j.weber@kessler.example"}, {"Anna Vogel", "Order Desk", "orders@kessler.example"}}},
	{"SUP-JL", "金龙铝业", "supplier", 2, []string{"Aluminium extrusion"}, nil, "佛山市南海区", "Asia/Shanghai",
		[][3]string{{"张敏", "销售", "zhang.min@jinlong.example"}}},
	{"SUP-YT", "永通紧固件", "supplier", 2, []string{"Fasteners"}, []string{"consignment"}, "宁波市镇海区", "Asia/Shanghai",
		[][3]string{{"陈晨", "业务员", "chen.chen@yongtong.example"}, {"林涛", "厂长", "lin.tao@yongtong.example"}}},
	{"SUP-RX", "瑞祥塑胶", "supplier", 2, []string{"Injection moulding"}, nil, "东莞市长安镇", "Asia/Shanghai",
		[][3]string{{"吴杰", "项目经理", "wu.jie@ruixiang.example"}}},
	{"SUP-HT", "恒通轴承", "supplier", 2, []string{"Bearings"}, nil, "洛阳市涧西区", "Asia/Shanghai",
		[][3]string{{"郑华", "销售经理", "zheng.hua@hengtong.example"}}},
	{"SUP-TAKU", "Takumi Sensors K.K.", "supplier", 2, []string{"Sensors"}, []string{"import"}, "Osaka, Japan", "Asia/Tokyo",
		[][3]string{{"Sato Haruki", "Sales", "h.sato@takumi.example"}}},
	{"SUP-XG", "新光线缆", "supplier", 2, []string{"Cable harness"}, nil, "昆山市开发区", "Asia/Shanghai",
		[][3]string{{"马丽", "销售", "ma.li@xinguang.example"}}},
	{"SUP-ZF", "正峰模具", "supplier", 2, []string{"Tooling"}, nil, "台州市黄岩区", "Asia/Shanghai",
		[][3]string{{"杨帆", "技术经理", "yang.fan@zhengfeng.example"}}},
	{"SUP-BY", "博远包装", "supplier", 3, []string{"Packaging"}, nil, "嘉兴市秀洲区", "Asia/Shanghai",
		[][3]string{{"许静", "客服", "xu.jing@boyuan.example"}}},
	{"SUP-HL", "华联钢材", "supplier", 3, []string{"Steel sheet"}, nil, "唐山市路北区", "Asia/Shanghai",
		[][3]string{{"高峰", "销售", "gao.feng@hualian.example"}}},
	{"SUP-CX", "长兴表面处理", "supplier", 3, []string{"Anodising", "Powder coating"}, nil, "湖州市长兴县", "Asia/Shanghai",
		[][3]string{{"罗敏", "业务", "luo.min@changxing.example"}}},
	{"SUP-DF", "东方磁材", "supplier", 3, []string{"Magnets"}, nil, "包头市稀土高新区", "Asia/Shanghai",
		[][3]string{{"韩雪", "销售", "han.xue@dongfang.example"}}},
	{"SUP-SR", "盛荣橡胶", "supplier", 3, []string{"Seals", "Gaskets"}, nil, "青岛市黄岛区", "Asia/Shanghai",
		[][3]string{{"曹阳", "销售", "cao.yang@shengrong.example"}}},
	{"SUP-PRAX", "Praxis Polymers Ltd", "supplier", 3, []string{"Resins"}, []string{"import"}, "Manchester, UK", "Europe/London",
		[][3]string{{"Oliver Hughes", "Account Manager", "o.hughes@praxis.example"}}},
	{"SUP-JC", "精诚电机", "supplier", 1, []string{"Motors"}, []string{"strategic"}, "常州市武进区", "Asia/Shanghai",
		[][3]string{{"彭磊", "销售总监", "peng.lei@jingcheng.example"}, {"邓娜", "计划员", "deng.na@jingcheng.example"}}},
	{"SUP-AH", "安和五金", "supplier", 3, []string{"Stampings"}, nil, "中山市小榄镇", "Asia/Shanghai",
		[][3]string{{"谢斌", "老板", "xie.bin@anhe.example"}}},
	{"SUP-TC", "天成玻璃", "supplier", 2, []string{"Glass"}, nil, "蚌埠市", "Asia/Shanghai",
		[][3]string{{"魏强", "销售", "wei.qiang@tiancheng.example"}}},
	{"SUP-NOVA", "Nova Fasteners Inc.", "supplier", 3, []string{"Fasteners"}, []string{"second source"}, "Cleveland, OH", "America/New_York",
		[][3]string{{"Rachel Kim", "Inside Sales", "rkim@novafast.example"}}},
	{"DLR-BJ", "北京华北机电经销", "customer", 0, nil, []string{"north"}, "北京市大兴区", "Asia/Shanghai",
		[][3]string{{"田野", "采购经理", "tian.ye@huabei.example"}}},
	{"DLR-GZ", "广州南方工业供应", "customer", 0, nil, []string{"south"}, "广州市黄埔区", "Asia/Shanghai",
		[][3]string{{"钟华", "采购", "zhong.hua@nanfang.example"}}},
	{"DLR-CD", "成都西部设备", "customer", 0, nil, []string{"west"}, "成都市高新区", "Asia/Shanghai",
		[][3]string{{"任静", "采购", "ren.jing@xibu.example"}}},
	{"DLR-MUC", "Alpen Industriebedarf", "customer", 0, nil, []string{"export"}, "München", "Europe/Berlin",
		[][3]string{{"Lukas Maier", "Einkauf", "l.maier@alpen.example"}}},
	{"DLR-SG", "Lion City Automation", "customer", 0, nil, []string{"export"}, "Singapore", "Asia/Singapore",
		[][3]string{{"Tan Wei Ming", "Procurement", "weiming@lioncity.example"}}},
	{"LOG-SF", "顺丰供应链", "logistics", 0, nil, nil, "深圳市", "Asia/Shanghai",
		[][3]string{{"龙飞", "客户经理", "long.fei@sf-scm.example"}}},
	{"LOG-KN", "Kuehne Freight Partners", "logistics", 0, nil, []string{"ocean"}, "Hamburg", "Europe/Berlin",
		[][3]string{{"Mia Fischer", "Customer Service", "m.fischer@kfp.example"}}},
}

// Services are what the seed writes through: the same domain services
// the portal uses, so the demo's records, audit trail, events and feed
// posts are what real use would leave.
type Services struct {
	Client     *ent.Client
	Directory  *directory.Service
	Accounts   *accounts.Service
	Documents  *documents.Service
	Orders     *orders.Service
	Shipments  *shipments.Service
	Groups     *groups.Service
	Scorecards *scorecards.Service
}

// Seed fills an empty database with the demo company and returns the
// logins to print. It refuses a database that already has users.
//
// The demo has a record of every kind a page shows (the page checks in
// portal/pagecheck_test.go walk it): a draft order, orders awaiting an
// answer (one past its SLA), open and decided change requests, shipments
// in every state with their events, certificates valid, expiring and
// expired, groups with posts and cards, a bridge with deliveries,
// transfers in the ledger, and five weeks of history for the
// scorecards. To write that history it runs the order, shipment and
// group services on clocks set in the past, and sets them back to the
// wall clock when done.
func Seed(ctx context.Context, sv Services) ([]Login, error) {
	client, dir, acc, docs, ords, ships, grps := sv.Client, sv.Directory, sv.Accounts, sv.Documents, sv.Orders, sv.Shipments, sv.Groups
	ctx = viewer.NewContext(ctx, viewer.System("demo"))
	if n, err := client.User.Query().Count(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, nil
	}
	var logins []Login
	var ids []int
	for _, s := range staff {
		u, err := acc.CreateUser(ctx, accounts.UserInput{Email: s.email, Name: s.name, Role: s.role, Password: Password, Locale: s.locale})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", s.email, err)
		}
		ids = append(ids, u.ID)
		logins = append(logins, Login{Email: s.email, Role: string(s.role), Name: s.name})
	}
	buyers := ids[1:4]
	var firstContact directory.Contact
	var suppliers, dealers, carriers []directory.Partner
	for i, p := range seeds {
		in := directory.PartnerInput{Code: p.code, Name: p.name, Kind: p.kind, Categories: p.cats, Tags: p.tags, Address: p.addr, TimeZone: p.tz}
		if p.tier > 0 {
			t := p.tier
			in.Tier = &t
		}
		if i%9 == 8 {
			in.Status = "prospect"
		}
		created, err := dir.CreatePartner(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("demo partner %s: %w", p.code, err)
		}
		switch p.kind {
		case partner.KindSupplier:
			suppliers = append(suppliers, created)
		case partner.KindCustomer:
			dealers = append(dealers, created)
		case partner.KindLogistics:
			carriers = append(carriers, created)
		}
		for j, c := range p.contacts {
			lang := "zh-CN"
			if c[0][0] < 0x80 {
				lang = "en"
			}
			ct, err := dir.CreateContact(ctx, directory.ContactInput{PartnerID: created.ID, Name: c[0], Title: c[1], Email: c[2],
				Phone: fmt.Sprintf("+86 138 %04d %04d", 1000+i*7, 2000+j*13), Language: lang, OwnerID: buyers[(i+j)%len(buyers)]})
			if err != nil {
				return nil, fmt.Errorf("demo contact %s: %w", c[0], err)
			}
			if i == 0 && j == 0 {
				firstContact = ct
			}
		}
	}
	if err := seedDocuments(ctx, docs, suppliers); err != nil {
		return nil, err
	}

	// One supplier contact already has a portal account, to show the
	// partner's side.
	inv, err := acc.CreateInvitation(viewer.NewContext(ctx, viewer.Viewer{UserID: ids[1], Role: viewer.RoleBuyer, Label: "demo"}),
		accounts.InvitationInput{ContactID: firstContact.ID})
	if err != nil {
		return nil, fmt.Errorf("demo invitation: %w", err)
	}
	pu, err := acc.AcceptInvitation(ctx, inv.Token, accounts.AcceptInput{Name: firstContact.Name, Password: Password})
	if err != nil {
		return nil, fmt.Errorf("demo partner user: %w", err)
	}
	buyerCtx := viewer.NewContext(ctx, viewer.Viewer{UserID: ids[1], Role: viewer.RoleBuyer, Label: staff[1].email})
	supplierCtx := viewer.NewContext(ctx, viewer.Viewer{UserID: pu.ID, Role: viewer.RolePartner, PartnerID: *pu.PartnerID,
		ContactID: firstContact.ID, Label: pu.Email})
	// The first supplier's group exists before its orders, so their
	// status arrives in it as posts and cards.
	cs, err := dir.ListContacts(ctx, directory.ContactFilter{PartnerID: firstContact.Partner.ID, Limit: 50})
	if err != nil {
		return nil, err
	}
	var cids []int
	for _, c := range cs.Items {
		cids = append(cids, c.ID)
	}
	g, err := grps.Create(buyerCtx, groups.GroupInput{Name: firstContact.Partner.Name + " 协同群", Purpose: "订单确认、发货与质量 / orders, shipments and quality",
		Kind: "partner", PartnerID: firstContact.Partner.ID, ContactIDs: cids, UserIDs: []int{ids[2]}})
	if err != nil {
		return nil, fmt.Errorf("demo group: %w", err)
	}
	if _, err := grps.Create(buyerCtx, groups.GroupInput{Name: "采购部 / Procurement", Purpose: "internal", Kind: "internal",
		PartnerID: firstContact.Partner.ID, UserIDs: ids[1:]}); err != nil {
		return nil, fmt.Errorf("demo group: %w", err)
	}
	if err := seedOrders(buyerCtx, supplierCtx, ords, ships, suppliers, dealers, carriers); err != nil {
		return nil, err
	}
	bridgeID, err := seedBridge(ctx, client, g.ID)
	if err != nil {
		return nil, err
	}
	if _, err := grps.Post(buyerCtx, g.ID, groups.PostInput{Body: "@" + firstContact.Name + " 请确认本周的发货计划 / please confirm this week's shipments"}); err != nil {
		return nil, err
	}
	if _, err := grps.Post(supplierCtx, g.ID, groups.PostInput{Body: "收到，周五前发出 / received, shipping by Friday"}); err != nil {
		return nil, err
	}
	// The bridge stops after the posts above went out through it: the
	// demo's far end is not real.
	if err := client.Bridge.UpdateOneID(bridgeID).SetEnabled(false).Exec(ctx); err != nil {
		return nil, err
	}
	if err := seedHistory(buyerCtx, supplierCtx, ords, ships, grps, suppliers[:2]); err != nil {
		return nil, err
	}
	adminCtx := viewer.NewContext(ctx, viewer.Viewer{UserID: ids[0], Role: viewer.RoleAdmin, Label: staff[0].email})
	if err := seedTransfers(adminCtx, dir, cs.Items, ids); err != nil {
		return nil, err
	}
	// Weekly snapshots of the weeks just written, as the nightly job
	// would have stored them.
	if sv.Scorecards != nil {
		if _, err := sv.Scorecards.SnapshotClosed(ctx, time.Now()); err != nil {
			return nil, fmt.Errorf("demo scorecard snapshots: %w", err)
		}
	}
	logins = append(logins, Login{Email: firstContact.Email, Role: "partner (" + firstContact.Partner.Name + ")", Name: firstContact.Name})
	return logins, nil
}

// seedDocuments gives some suppliers certificates that are valid, about
// to expire and expired, and a drawing, so the badges have something to
// show.
func seedDocuments(ctx context.Context, docs *documents.Service, suppliers []directory.Partner) error {
	today := time.Now().UTC()
	type seed struct {
		partner        int
		kind           document.Kind
		title, file    string
		issuer, number string
		expiresInDays  int
	}
	list := []seed{
		{0, "certificate", "ISO 9001:2015 质量管理体系认证", "ISO9001-华星.pdf", "SGS", "CN21/30112", 400},
		{0, "drawing", "外壳 HX-220 图纸 Rev C", "HX-220-RevC.pdf", "", "", 0},
		{1, "certificate", "IATF 16949 证书", "IATF16949-东岳.pdf", "TÜV SÜD", "IATF 0412345", 21},
		{2, "certificate", "ISO 14001 Umweltmanagement", "ISO14001-Kessler.pdf", "DEKRA", "U-77812", -12},
		{3, "certificate", "RoHS 符合性声明", "RoHS-金龙.pdf", "金龙铝业", "RoHS-2025-08", 150},
	}
	for _, d := range list {
		if d.partner >= len(suppliers) {
			continue
		}
		body := []byte("%PDF-1.4\n% Tierlink demo document: " + d.title + "\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
		in := documents.UploadInput{PartnerID: suppliers[d.partner].ID, Kind: d.kind, Title: d.title, Filename: d.file,
			CertIssuer: d.issuer, CertNumber: d.number}
		if d.kind == document.KindCertificate {
			in.ValidFrom = today.AddDate(-2, 0, 0).Format("2006-01-02")
			in.ExpiresOn = today.AddDate(0, 0, d.expiresInDays).Format("2006-01-02")
		}
		if _, err := docs.Upload(ctx, in, documents.Body{R: bytes.NewReader(body), Size: int64(len(body)), ClaimedType: "application/pdf"}); err != nil {
			return fmt.Errorf("demo document %s: %w", d.title, err)
		}
	}
	return nil
}

// seedOrders gives the demo a working week: orders awaiting an answer,
// a requested change, goods in transit and late, and a dealer delivery
// carried by a logistics partner.
func seedOrders(buyer, supplierA context.Context, ords *orders.Service, ships *shipments.Service, suppliers, dealers, carriers []directory.Partner) error {
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }
	qty := func(s string) orders.Qty { q, _ := orders.ParseQty(s); return q }
	price := func(s string) orders.Price { p, _ := orders.ParsePrice(s); return p }
	mk := func(p directory.Partner, dir order.Direction, number string, lines ...orders.LineInput) (orders.Order, error) {
		o, err := ords.Create(buyer, orders.OrderInput{PartnerID: p.ID, Direction: dir, Number: number, Currency: "CNY", Lines: lines})
		if err != nil {
			return o, fmt.Errorf("demo order %s: %w", number, err)
		}
		return ords.Publish(buyer, o.ID)
	}
	if len(suppliers) < 3 || len(dealers) == 0 || len(carriers) == 0 {
		return nil
	}
	// 东岳: awaiting an answer.
	if _, err := mk(suppliers[1], order.DirectionUpstream, "PO-2026-1101",
		orders.LineInput{ItemCode: "HX-220", Description: "外壳 Rev C", Quantity: qty("2000"), Unit: "pcs", UnitPrice: price("12.5"), RequiredDate: day(14)},
		orders.LineInput{ItemCode: "HX-221", Description: "盖板", Quantity: qty("2000"), Unit: "pcs", UnitPrice: price("3.8"), RequiredDate: day(14)}); err != nil {
		return err
	}
	// 华星 (the demo supplier login): answered with a later date, waiting
	// for the buyer.
	o2, err := mk(suppliers[0], order.DirectionUpstream, "PO-2026-1088",
		orders.LineInput{ItemCode: "HX-310", Description: "支架", Quantity: qty("500"), Unit: "pcs", UnitPrice: price("8.6"), RequiredDate: day(10)})
	if err != nil {
		return err
	}
	if _, err := ords.Acknowledge(supplierA, o2.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", PromisedDate: day(17), Reason: "铝材到货延迟一周"}}}); err != nil {
		return fmt.Errorf("demo acknowledgement: %w", err)
	}
	// Kessler: acknowledged; one shipment in transit, one delayed past the due date.
	o3, err := mk(suppliers[2], order.DirectionUpstream, "PO-2026-1042",
		orders.LineInput{ItemCode: "GM-90", Description: "Gear motor 90 W", Quantity: qty("120"), Unit: "pcs", UnitPrice: price("410"), RequiredDate: day(5)},
		orders.LineInput{ItemCode: "GM-120", Description: "Gear motor 120 W", Quantity: qty("60"), Unit: "pcs", UnitPrice: price("520"), RequiredDate: day(3)})
	if err != nil {
		return err
	}
	if _, err := ords.Acknowledge(buyer, o3.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}}}); err != nil {
		return err
	}
	s1, err := ships.Create(buyer, shipments.Input{PartnerID: suppliers[2].ID, Carrier: "DHL", TrackingNumber: "JD014600003456789", ETA: day(4),
		Lines: []shipments.LineInput{{OrderID: o3.ID, LineNo: 1, Quantity: qty("120")}}})
	if err != nil {
		return fmt.Errorf("demo shipment: %w", err)
	}
	s2, err := ships.Create(buyer, shipments.Input{PartnerID: suppliers[2].ID, Carrier: "Maersk", ETA: day(2),
		Lines: []shipments.LineInput{{OrderID: o3.ID, LineNo: 2, Quantity: qty("60")}}})
	if err != nil {
		return err
	}
	for _, e := range []struct {
		id int
		in shipments.EventInput
	}{
		{s1.ID, shipments.EventInput{Kind: "shipped"}}, {s1.ID, shipments.EventInput{Kind: "in_transit", Location: "Frankfurt"}},
		{s2.ID, shipments.EventInput{Kind: "shipped"}}, {s2.ID, shipments.EventInput{Kind: "delayed", Reason: "Vessel rolled over at Rotterdam", NewETA: day(9)}},
	} {
		if _, err := ships.AddEvent(buyer, e.id, e.in); err != nil {
			return fmt.Errorf("demo shipment update: %w", err)
		}
	}
	// A dealer delivery carried by the logistics partner.
	o4, err := mk(dealers[0], order.DirectionDownstream, "SO-2026-0311",
		orders.LineInput{ItemCode: "TL-500", Description: "整机", Quantity: qty("40"), Unit: "set", UnitPrice: price("6800"), RequiredDate: day(6)})
	if err != nil {
		return err
	}
	d1, err := ships.Create(buyer, shipments.Input{PartnerID: dealers[0].ID, CarrierPartnerID: carriers[0].ID, ETA: day(5),
		Lines: []shipments.LineInput{{OrderID: o4.ID, LineNo: 1, Quantity: qty("40")}}})
	if err != nil {
		return err
	}
	if _, err = ships.AddEvent(buyer, d1.ID, shipments.EventInput{Kind: "shipped"}); err != nil {
		return err
	}
	// A draft the buyer has not published yet.
	if _, err := ords.Create(buyer, orders.OrderInput{PartnerID: suppliers[1].ID, Direction: order.DirectionUpstream, Number: "PO-2026-1120",
		Currency: "CNY", Notes: "等图纸 Rev D 确认后发布",
		Lines: []orders.LineInput{{ItemCode: "HX-230", Description: "散热片", Quantity: qty("800"), Unit: "pcs", UnitPrice: price("4.2"), RequiredDate: day(30)}}}); err != nil {
		return fmt.Errorf("demo draft: %w", err)
	}
	// 华星: one order published three days ago, past its answer SLA,
	// and one published today.
	ords.SetClock(func() time.Time { return time.Now().Add(-72 * time.Hour) })
	_, err = mk(suppliers[0], order.DirectionUpstream, "PO-2026-1079",
		orders.LineInput{ItemCode: "HX-305", Description: "底座", Quantity: qty("300"), Unit: "pcs", UnitPrice: price("15.2"), RequiredDate: day(12)})
	ords.SetClock(time.Now)
	if err != nil {
		return err
	}
	if _, err := mk(suppliers[0], order.DirectionUpstream, "PO-2026-1112",
		orders.LineInput{ItemCode: "HX-220", Description: "外壳 Rev C", Quantity: qty("1500"), Unit: "pcs", UnitPrice: price("12.5"), RequiredDate: day(21)},
		orders.LineInput{ItemCode: "HX-221", Description: "盖板", Quantity: qty("1500"), Unit: "pcs", UnitPrice: price("3.8"), RequiredDate: day(21)}); err != nil {
		return err
	}
	// 华星: accepted, shipped and delivered yesterday; the buyer has not
	// yet confirmed the receipt.
	o5, err := mk(suppliers[0], order.DirectionUpstream, "PO-2026-1065",
		orders.LineInput{ItemCode: "HX-310", Description: "支架", Quantity: qty("400"), Unit: "pcs", UnitPrice: price("8.6"), RequiredDate: day(1)})
	if err != nil {
		return err
	}
	if _, err := ords.Acknowledge(supplierA, o5.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "accept"}}}); err != nil {
		return err
	}
	s3, err := ships.Create(supplierA, shipments.Input{PartnerID: suppliers[0].ID, Carrier: "顺丰速运", TrackingNumber: "SF1420098765432", ETA: day(0),
		Packages: 12, Lines: []shipments.LineInput{{OrderID: o5.ID, LineNo: 1, Quantity: qty("400")}}})
	if err != nil {
		return err
	}
	for _, in := range []shipments.EventInput{{Kind: "shipped"}, {Kind: "in_transit", Location: "上海"}, {Kind: "delivered", Location: "苏州仓"}} {
		if _, err := ships.AddEvent(supplierA, s3.ID, in); err != nil {
			return fmt.Errorf("demo delivery: %w", err)
		}
	}
	return nil
}

// seedBridge connects the first supplier's group to a WeCom robot, so
// its posts leave deliveries in the outbox. It is written directly: the
// demo's robot address is not one the bridge guard would let through.
func seedBridge(ctx context.Context, client *ent.Client, groupID int) (int, error) {
	b, err := client.Bridge.Create().SetGroupID(groupID).SetKind("wecom").SetName("华星协同 企业微信群").
		SetURL("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo-0000").SetRatePerMinute(20).Save(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo bridge: %w", err)
	}
	return b.ID, nil
}

// seedHistory gives the scorecards five weeks to show: each week an
// order to each of the first suppliers, answered (one with a change
// the buyer approved, one with a change she rejected), shipped and
// received, some late or short, and a message answered in the group.
func seedHistory(buyer, supplierA context.Context, ords *orders.Service, ships *shipments.Service, grps *groups.Service, suppliers []directory.Partner) error {
	now := time.Now()
	at := func(t time.Time) {
		clock := func() time.Time { return t }
		ords.SetClock(clock)
		ships.SetClock(clock)
		grps.SetClock(clock)
	}
	defer func() { ords.SetClock(time.Now); ships.SetClock(time.Now); grps.SetClock(time.Now) }()
	qty := func(s string) orders.Qty { q, _ := orders.ParseQty(s); return q }
	price := func(s string) orders.Price { p, _ := orders.ParsePrice(s); return p }
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	for week := 5; week >= 1; week-- {
		for i, p := range suppliers {
			as := buyer // 东岳 has no portal login: the buyer answers for it
			if i == 0 {
				as = supplierA
			}
			start := now.AddDate(0, 0, -7*week-3).Add(time.Duration(i) * time.Hour)
			due := start.AddDate(0, 0, 6)
			at(start)
			o, err := ords.Create(buyer, orders.OrderInput{PartnerID: p.ID, Direction: order.DirectionUpstream, Number: fmt.Sprintf("PO-2026-0%d%02d", 9+i, 50-week),
				Currency: "CNY", Lines: []orders.LineInput{
					{ItemCode: "HX-220", Description: "外壳 Rev C", Quantity: qty("1000"), Unit: "pcs", UnitPrice: price("12.5"), RequiredDate: date(due)},
					{ItemCode: "HX-221", Description: "盖板", Quantity: qty("1000"), Unit: "pcs", UnitPrice: price("3.8"), RequiredDate: date(due)}}})
			if err != nil {
				return fmt.Errorf("demo history order: %w", err)
			}
			if _, err := ords.Publish(buyer, o.ID); err != nil {
				return err
			}
			// Answered within hours, slower some weeks.
			at(start.Add(time.Duration(3+week*week*2) * time.Hour))
			lines := []orders.AckLine{{LineNo: 1, Action: "accept"}, {LineNo: 2, Action: "accept"}}
			if i == 0 && (week == 4 || week == 2) {
				lines[1] = orders.AckLine{LineNo: 2, Action: "change", PromisedDate: date(due.AddDate(0, 0, 2)), Reason: "模具保养，顺延两天"}
			}
			acked, err := ords.Acknowledge(as, o.ID, orders.AckInput{Lines: lines})
			if err != nil {
				return fmt.Errorf("demo history answer: %w", err)
			}
			if i == 0 && (week == 4 || week == 2) {
				at(start.Add(30 * time.Hour))
				crs, err := ords.ChangeRequests(buyer, o.ID, "open")
				if err != nil || len(crs) == 0 {
					return fmt.Errorf("demo history change request: %v", err)
				}
				d := orders.Decision{Decision: "approve", Reason: "可以"}
				if week == 2 {
					d = orders.Decision{Decision: "reject", Reason: "产线等料，请按原交期"}
				}
				if _, err := ords.Decide(buyer, crs[0].ID, d); err != nil {
					return fmt.Errorf("demo history decision: %w", err)
				}
			}
			_ = acked
			// Shipped two days after the answer; received on time,
			// late or short depending on the week.
			at(start.AddDate(0, 0, 3))
			sh, err := ships.Create(as, shipments.Input{PartnerID: p.ID, Carrier: "顺丰速运", ETA: date(due),
				Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: qty("1000")}, {OrderID: o.ID, LineNo: 2, Quantity: qty("1000")}}})
			if err != nil {
				return fmt.Errorf("demo history shipment: %w", err)
			}
			at(start.AddDate(0, 0, 3).Add(2 * time.Hour))
			if _, err := ships.AddEvent(as, sh.ID, shipments.EventInput{Kind: "shipped"}); err != nil {
				return err
			}
			arrive := due.Add(-20 * time.Hour)
			if (week+i)%3 == 0 {
				arrive = due.AddDate(0, 0, 2) // late
			}
			at(arrive)
			if _, err := ships.AddEvent(as, sh.ID, shipments.EventInput{Kind: "delivered"}); err != nil {
				return err
			}
			got := []shipments.Received{{LineID: sh.Lines[0].ID, Quantity: qty("1000")}, {LineID: sh.Lines[1].ID, Quantity: qty("1000")}}
			if (week+i)%4 == 1 {
				got[1].Quantity = qty("940") // short
			}
			at(arrive.Add(time.Hour))
			if _, err := ships.AddEvent(buyer, sh.ID, shipments.EventInput{Kind: "received", Received: got}); err != nil {
				return fmt.Errorf("demo history receipt: %w", err)
			}
		}
	}
	return nil
}

// seedTransfers leaves the contact ledger with a finished hand-over
// and one scheduled for next month.
func seedTransfers(ctx context.Context, dir *directory.Service, contacts []directory.Contact, staffIDs []int) error {
	if len(contacts) < 2 || len(staffIDs) < 4 {
		return nil
	}
	if _, err := dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{contacts[1].ID}, ToOwnerID: staffIDs[3], Reason: "reassignment",
		Note: "物流对接统一由 Emma 负责"}); err != nil {
		return fmt.Errorf("demo transfer: %w", err)
	}
	next := time.Now().AddDate(0, 1, 0).UTC().Truncate(24 * time.Hour)
	if _, err := dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{contacts[0].ID}, ToOwnerID: staffIDs[2], Reason: "departure",
		Note: "王芳休产假期间由李强接手", EffectiveAt: &next}); err != nil {
		return fmt.Errorf("demo scheduled transfer: %w", err)
	}
	return nil
}
