package portal

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// locale translates page text; keys are the English text's short name.
type locale struct {
	Lang string
	msgs map[string]string
}

// T returns the text for key, falling back to English, then to the key.
func (l *locale) T(key string) string {
	if m, ok := l.msgs[key]; ok {
		return m
	}
	if m, ok := messages["en"][key]; ok {
		return m
	}
	return key
}

var locales = map[string]*locale{
	"en":    {Lang: "en", msgs: messages["en"]},
	"zh-CN": {Lang: "zh-CN", msgs: messages["zh-CN"]},
}

// pickLocale prefers the user's saved setting, then Accept-Language.
func pickLocale(c *fiber.Ctx, saved string) *locale {
	if l, ok := locales[saved]; ok {
		return l
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return locales["zh-CN"]
		case strings.HasPrefix(tag, "en"):
			return locales["en"]
		}
	}
	return locales["en"]
}

var messages = map[string]map[string]string{
	"en": {
		"app": "Tierlink", "login": "Log in", "logout": "Log out", "email": "E-mail", "password": "Password",
		"directory": "Directory", "staff": "Staff", "transfer_contacts": "Transfer contacts", "settings": "Settings",
		"search": "Search", "search_hint": "Name, pinyin, initials or code", "kind": "Kind", "tier": "Tier", "status": "Status",
		"tag": "Tag", "owner": "Owner", "owners": "Owners", "any": "Any", "contacts": "Contacts", "code": "Code", "name": "Name",
		"title": "Title", "phone": "Phone", "language": "Language", "next_page": "Next page", "no_results": "Nothing matches.",
		"supplier": "Supplier", "customer": "Dealer / customer", "logistics": "Logistics", "service": "Service",
		"prospect": "Prospect", "active": "Active", "suspended": "Suspended", "offboarded": "Offboarded",
		"address": "Address", "time_zone": "Time zone", "ack_sla": "Acknowledgement SLA (hours)", "categories": "Categories",
		"tags": "Tags", "history": "Ownership history", "audit": "Audit trail", "contact": "Contact", "partner": "Partner",
		"from": "From", "to": "To", "reason": "Reason", "note": "Hand-over note", "effective": "Effective", "state": "State",
		"when": "When", "who": "Who", "action": "Action", "hand_over": "Hand over", "new_owner": "New owner",
		"effective_hint": "Leave empty to hand over now", "reassignment": "Reassignment", "departure": "Departure",
		"import": "Import", "pending": "Pending", "done": "Done", "failed": "Failed", "cancelled": "Cancelled",
		"select_all": "Select all", "selected_contacts": "Contacts to hand over", "filter": "Filter",
		"transfer_done": "Ownership handed over.", "transfer_scheduled": "Transfer scheduled.",
		"role": "Role", "admin": "Admin", "buyer": "Buyer", "viewer": "Viewer", "owned_contacts": "Contacts owned",
		"deactivate": "Deactivate and hand over", "deactivated": "Deactivated", "heir": "Heir for all contacts",
		"heir_for": "Heir for this partner", "same_as_default": "Same as above", "deactivate_done": "User deactivated; contacts handed over.",
		"deactivate_intro": "Deactivating ends this user's access. Every contact they own moves to the heir you choose, in one step, and the move is kept on each contact's history.",
		"invite":           "Invite to portal", "invite_link": "Send this one-time link to the contact; it expires in 7 days:",
		"accept_invite": "Create your account", "your_name": "Your name", "create_account": "Create account",
		"account_created": "Your account is ready. Log in.", "save": "Save", "saved": "Saved.", "auto": "Browser default",
		"error": "Something went wrong", "back": "Back", "my_company": "My company", "last_login": "Last login",
		"all_partners": "All partners", "none": "None", "forbidden_role": "Your role cannot do this.",
		"wrong_login": "Wrong e-mail or password.", "no_contacts": "No contacts yet.", "cancel": "Cancel",
		"details": "Details", "login_intro": "Supplier and partner collaboration portal",
		"documents": "Documents", "upload": "Upload", "file": "File", "version": "Version", "versions": "Versions", "size": "Size",
		"uploaded_by": "Uploaded by", "download": "Download", "download_record": "Download record", "delete": "Delete",
		"drawing": "Drawing / specification", "certificate": "Certificate", "packing_list": "Packing list", "invoice": "Invoice",
		"quality_report": "Quality report", "other": "Other", "valid": "Valid", "expiring": "Expires within 30 days", "expired": "Expired",
		"issuer": "Issuer", "cert_number": "Certificate number", "valid_from": "Valid from", "expires_on": "Expires on",
		"new_version": "Upload a new version", "description": "Description", "no_documents": "No documents yet.",
		"uploaded": "Uploaded.", "deleted": "Document deleted.", "cert_fields": "Certificates only", "via": "How",
		"delete_confirm": "Delete this document and all its versions?", "current": "current",
		"orders": "Orders", "my_orders": "My orders", "status_board": "Status board", "order_number": "Order no.", "lines": "Lines",
		"published": "Published", "direction": "Direction", "upstream": "Upstream (purchase)", "downstream": "Downstream (delivery)",
		"currency": "Currency", "item": "Item", "quantity": "Quantity", "unit_price": "Unit price", "required_date": "Required",
		"promised_date": "Promised", "answer": "Answer", "acknowledge": "Acknowledge", "accept": "Accept",
		"accept_with_changes": "Accept with changes", "reject": "Reject", "later": "Answer later", "send_answer": "Send answer",
		"change_request": "Change request", "approve": "Approve", "revisions": "Revisions", "post_shipment": "Post a shipment",
		"carrier": "Carrier", "tracking_number": "Tracking no.", "ship_date": "Ship date", "packages": "Packages",
		"received": "received", "updates": "Updates", "update": "Update", "location": "Location", "new_eta": "New ETA",
		"delay_hint": "required for a delay", "post_update": "Post update", "due": "Due", "answer_sent": "Answer sent.",
		"decided": "Decision recorded.", "shipment_posted": "Shipment posted.", "update_posted": "Update posted.",
		"board_hint": "Quantities: received / shipped / ordered. At risk: the ETA is after the due date. Late: the due date has passed.",
		"o_draft":    "Draft", "o_published": "Awaiting answer", "o_changes_requested": "Changes requested", "o_acknowledged": "Acknowledged",
		"o_rejected": "Rejected", "o_cancelled": "Cancelled", "o_closed": "Closed",
		"a_pending": "Pending", "a_accepted": "Accepted", "a_changes_requested": "Changes requested", "a_rejected": "Rejected",
		"cr_open": "open", "cr_approved": "approved", "cr_rejected": "rejected",
		"s_created": "Created", "s_shipped": "Shipped", "s_in_transit": "In transit", "s_delayed": "Delayed", "s_delivered": "Delivered",
		"s_received": "Received", "s_cancelled": "Cancelled",
		"new_order": "New order", "add_line": "Add a line", "publish_now": "Publish to the partner now", "csv_encoding": "File encoding", "csv_encoding_detect": "Detect (asks when unsure)", "create_order": "Create order",
		"import_csv": "Import from a CSV file", "import_orders_hint": "One row per order line: partner_code, order_number, currency, item_code, description, quantity, unit, unit_price, required_date. Every row or none is imported.",
		"order_created": "Order created.", "imported": "Imported.", "unit": "Unit",
		"change_requests": "Change requests", "changes": "Changes", "nothing_to_decide": "Nothing to decide.",
		"l_open": "Open", "l_shipped": "Shipped", "l_in_transit": "In transit", "l_received": "Received", "l_at_risk": "At risk", "l_late": "Late",
		"jobs": "Scheduled jobs", "job": "Job", "schedule": "Schedule", "missed_ticks": "Missed ticks", "next_run": "Next run", "last_run": "Last run", "outcome": "Outcome", "run_now": "Run now", "pause": "Pause", "resume": "Resume", "m_catch_up": "run once at start-up", "m_skip": "skip", "o_running": "running", "o_ok": "ok", "o_failed": "failed", "o_abandoned": "abandoned", "run_history": "Run history", "tick": "Tick", "trigger": "Trigger", "instance": "Instance", "duration": "Duration", "items": "Items", "report": "Report", "t_schedule": "schedule", "t_catch_up": "catch-up", "t_manual": "by hand", "older": "Older runs", "digest": "Status digest", "off": "off", "digest_enabled": "Post a status digest", "schedule_hint": "Cron: minute hour day month weekday, optionally CRON_TZ=Zone first; empty uses the company default shown.", "digest_quiet": "Post nothing when all is on track", "job_started": "Job started; its run appears below.", "job_paused": "Job paused on every instance.", "job_resumed": "Job resumed.", "digest_saved": "Digest settings saved.", "orders_blocked": "New orders are blocked", "mandatory_cert": "Mandatory (orders may be blocked while it has lapsed)", "ordering_rules": "Ordering rules", "over_delivery": "Over-delivery allowed (%)", "block_on_lapsed": "Block new orders while a mandatory certificate has lapsed",
		"scorecards": "Scorecards", "answers": "Orders answered", "open_orders": "Orders awaiting an answer", "oldest": "oldest", "answer_time": "Mean time to answer", "replies": "Replies", "active_partners": "Active partners", "first_reply": "First reply", "owners_view": "Owners", "period": "Period", "p_week": "This week", "p_month": "This month", "p_quarter": "This quarter", "score": "Score", "ack_within_sla": "Acknowledged within SLA", "replies_same_day": "Replies the same day", "no_data": "no data", "st_very_poor": "very poor", "st_poor": "poor", "st_average": "average", "st_excellent": "excellent", "st_": "", "score_hint": "Score 0–100: the weighted mean of the metrics that have data (OTIF 30, acknowledgement 25, replies 15, freshness 10, notices 10, no changes 10). No data is never counted as 0 or 100.", "trend": "Trend", "ack_median": "Acknowledgement time (median)", "change_rate": "Came back with changes", "on_time": "on time", "in_full": "in full", "notice_ahead": "Shipments announced ahead", "freshness": "Updated at least every 48 h", "promise_accuracy": "Arrival vs promise", "pb_early_3+": "3+ days early", "pb_early_1_2": "1–2 days early", "pb_on_day": "on the day", "pb_late_1_2": "1–2 days late", "pb_late_3_7": "3–7 days late", "pb_late_8+": "8+ days late",
		"groups": "Groups", "group": "Group", "members": "Members", "status_feed": "Status feed", "new_group": "New group", "purpose": "Purpose", "g_partner": "Partner group", "g_internal": "Internal group", "create_group": "Create group", "group_created": "Group created.", "member_added": "Member added.", "no_status": "No automatic status", "no_status_mixed": "Contacts of several partners are members, so no partner's status is posted here automatically.", "bridges": "Bridges", "add_member": "Add member", "side_staff": "staff", "side_partner": "partner contact", "reconnecting": "Reconnecting…", "write_hint": "Write a message; @name mentions a member", "message": "Message", "share_documents": "Share documents", "send": "Send", "a_approve": "Approve", "a_reject": "Reject", "a_acknowledge": "Acknowledge order", "a_confirm_receipt": "Confirm receipt", "card_done": "Done", "by": "by", "open_link": "Open", "system": "Tierlink", "partner_side": "Partner", "out_answered": "Answered", "out_approved": "Approved", "out_rejected": "Rejected", "out_received": "Received", "out_cancelled": "Cancelled", "secret_once": "Signing secret (shown only now; give it to the receiving system):", "k_wecom": "WeCom group robot", "k_feishu": "Feishu / Lark bot", "k_dingtalk": "DingTalk robot", "k_slack": "Slack webhook", "k_webhook": "Signed webhook", "enabled": "enabled", "paused": "paused", "dead": "Dead letters", "send_test": "Send test message", "time": "Time", "attempts": "Attempts", "last_error": "Last error", "retry": "Retry", "d_pending": "Pending", "d_sent": "Sent", "d_dead": "Dead", "new_bridge": "Connect a chat", "signing_secret": "Signing secret", "add_bridge": "Add bridge", "bridge_created": "Bridge added.", "test_queued": "Test message queued.", "retry_queued": "Queued again.",
		"all_contacts": "Add all the partner's contacts", "invalid_form": "Please correct the fields marked below.",
	},
	"zh-CN": {
		"app": "Tierlink", "login": "登录", "logout": "退出", "email": "邮箱", "password": "密码",
		"directory": "伙伴名录", "staff": "员工", "transfer_contacts": "转交联系人", "settings": "设置",
		"search": "搜索", "search_hint": "名称、拼音、首字母或编码", "kind": "类型", "tier": "层级", "status": "状态",
		"tag": "标签", "owner": "负责人", "owners": "负责人", "any": "全部", "contacts": "联系人", "code": "编码", "name": "名称",
		"title": "职务", "phone": "电话", "language": "语言", "next_page": "下一页", "no_results": "没有匹配的结果。",
		"supplier": "供应商", "customer": "经销商/客户", "logistics": "物流", "service": "服务",
		"prospect": "潜在", "active": "合作中", "suspended": "暂停", "offboarded": "已终止",
		"address": "地址", "time_zone": "时区", "ack_sla": "确认时限（小时）", "categories": "供货品类",
		"tags": "标签", "history": "负责人变更记录", "audit": "审计记录", "contact": "联系人", "partner": "伙伴",
		"from": "原负责人", "to": "新负责人", "reason": "原因", "note": "交接说明", "effective": "生效时间", "state": "状态",
		"when": "时间", "who": "操作人", "action": "操作", "hand_over": "转交", "new_owner": "新负责人",
		"effective_hint": "留空表示立即转交", "reassignment": "工作调整", "departure": "离职",
		"import": "导入", "pending": "待生效", "done": "已完成", "failed": "失败", "cancelled": "已取消",
		"select_all": "全选", "selected_contacts": "要转交的联系人", "filter": "筛选",
		"transfer_done": "已完成转交。", "transfer_scheduled": "已安排定时转交。",
		"role": "角色", "admin": "管理员", "buyer": "采购", "viewer": "只读", "owned_contacts": "负责的联系人",
		"deactivate": "停用并交接", "deactivated": "已停用", "heir": "全部联系人的接手人",
		"heir_for": "该伙伴的接手人", "same_as_default": "同上", "deactivate_done": "已停用该用户，联系人已交接。",
		"deactivate_intro": "停用后该用户将无法登录。其负责的所有联系人会一次性转给您选择的接手人，并记录在每个联系人的变更记录中。",
		"invite":           "邀请登录门户", "invite_link": "请把这个一次性链接发给联系人，7 天内有效：",
		"accept_invite": "创建您的账号", "your_name": "您的姓名", "create_account": "创建账号",
		"account_created": "账号已创建，请登录。", "save": "保存", "saved": "已保存。", "auto": "跟随浏览器",
		"error": "出错了", "back": "返回", "my_company": "我的公司", "last_login": "最近登录",
		"all_partners": "全部伙伴", "none": "无", "forbidden_role": "您的角色无权执行此操作。",
		"wrong_login": "邮箱或密码错误。", "no_contacts": "暂无联系人。", "cancel": "取消",
		"details": "详情", "login_intro": "供应商与合作伙伴协同门户",
		"documents": "文件", "upload": "上传", "file": "文件", "version": "版本", "versions": "版本记录", "size": "大小",
		"uploaded_by": "上传人", "download": "下载", "download_record": "下载记录", "delete": "删除",
		"drawing": "图纸/规格书", "certificate": "证书", "packing_list": "装箱单", "invoice": "发票",
		"quality_report": "质量报告", "other": "其他", "valid": "有效", "expiring": "30 天内到期", "expired": "已过期",
		"issuer": "发证机构", "cert_number": "证书编号", "valid_from": "生效日期", "expires_on": "到期日期",
		"new_version": "上传新版本", "description": "说明", "no_documents": "暂无文件。",
		"uploaded": "已上传。", "deleted": "文件已删除。", "cert_fields": "仅证书填写", "via": "方式",
		"delete_confirm": "确定删除该文件及其所有版本？", "current": "当前",
		"orders": "订单", "my_orders": "我的订单", "status_board": "交付看板", "order_number": "订单号", "lines": "行项目",
		"published": "发布时间", "direction": "方向", "upstream": "上游（采购）", "downstream": "下游（交付）",
		"currency": "币种", "item": "物料", "quantity": "数量", "unit_price": "单价", "required_date": "需求日期",
		"promised_date": "承诺日期", "answer": "答复", "acknowledge": "确认订单", "accept": "接受",
		"accept_with_changes": "接受但有变更", "reject": "拒绝", "later": "稍后答复", "send_answer": "提交答复",
		"change_request": "变更申请", "approve": "批准", "revisions": "版本记录", "post_shipment": "发货通知",
		"carrier": "承运商", "tracking_number": "运单号", "ship_date": "发货日期", "packages": "件数",
		"received": "已收", "updates": "动态", "update": "更新", "location": "位置", "new_eta": "新预计到达",
		"delay_hint": "延误时必填", "post_update": "提交动态", "due": "应交日期", "answer_sent": "答复已提交。",
		"decided": "已处理。", "shipment_posted": "发货通知已提交。", "update_posted": "动态已提交。",
		"board_hint": "数量：已收 / 已发 / 订购。有风险：预计到达晚于应交日期。逾期：已过应交日期。",
		"o_draft":    "草稿", "o_published": "待确认", "o_changes_requested": "待审批变更", "o_acknowledged": "已确认",
		"o_rejected": "已拒绝", "o_cancelled": "已取消", "o_closed": "已关闭",
		"a_pending": "待答复", "a_accepted": "已接受", "a_changes_requested": "申请变更", "a_rejected": "已拒绝",
		"cr_open": "待审批", "cr_approved": "已批准", "cr_rejected": "已驳回",
		"s_created": "已创建", "s_shipped": "已发货", "s_in_transit": "运输中", "s_delayed": "延误", "s_delivered": "已送达",
		"s_received": "已签收", "s_cancelled": "已取消",
		"new_order": "新建订单", "add_line": "添加一行", "publish_now": "立即发布给伙伴", "csv_encoding": "文件编码", "csv_encoding_detect": "自动识别（不确定时询问）", "create_order": "创建订单",
		"import_csv": "从 CSV 文件导入", "import_orders_hint": "每行一个订单行：partner_code, order_number, currency, item_code, description, quantity, unit, unit_price, required_date。要么全部导入，要么都不导入。",
		"order_created": "订单已创建。", "imported": "已导入。", "unit": "单位",
		"change_requests": "变更申请", "changes": "变更内容", "nothing_to_decide": "没有待审批的变更。",
		"l_open": "未发货", "l_shipped": "已发货", "l_in_transit": "运输中", "l_received": "已收货", "l_at_risk": "有风险", "l_late": "逾期",
		"jobs": "定时任务", "job": "任务", "schedule": "计划", "missed_ticks": "错过的执行", "next_run": "下次执行", "last_run": "上次执行", "outcome": "结果", "run_now": "立即执行", "pause": "暂停", "resume": "恢复", "m_catch_up": "启动时补执行一次", "m_skip": "跳过", "o_running": "执行中", "o_ok": "成功", "o_failed": "失败", "o_abandoned": "已中断", "run_history": "执行记录", "tick": "计划时间", "trigger": "触发方式", "instance": "实例", "duration": "耗时", "items": "条目", "report": "报告", "t_schedule": "按计划", "t_catch_up": "补执行", "t_manual": "手动", "older": "更早的记录", "digest": "状态摘要", "off": "已关闭", "digest_enabled": "推送状态摘要", "schedule_hint": "Cron 格式：分 时 日 月 周，可在前面加 CRON_TZ=时区；留空则使用所示的公司默认计划。", "digest_quiet": "一切正常时不推送", "job_started": "任务已开始，执行记录见下方。", "job_paused": "任务已在所有实例上暂停。", "job_resumed": "任务已恢复。", "digest_saved": "摘要设置已保存。", "orders_blocked": "已暂停新订单", "mandatory_cert": "必需证书（过期后可暂停新订单）", "ordering_rules": "订单规则", "over_delivery": "允许超交比例（%）", "block_on_lapsed": "必需证书过期时暂停新订单",
		"scorecards": "绩效评分", "answers": "答复订单", "open_orders": "待确认订单", "oldest": "最久", "answer_time": "平均答复用时", "replies": "回复", "active_partners": "活跃伙伴", "first_reply": "首次回复", "owners_view": "负责人", "period": "周期", "p_week": "本周", "p_month": "本月", "p_quarter": "本季度", "score": "评分", "ack_within_sla": "按时确认率", "replies_same_day": "当日回复率", "no_data": "无数据", "st_very_poor": "很差", "st_poor": "较差", "st_average": "一般", "st_excellent": "优秀", "st_": "", "score_hint": "评分 0–100：有数据的指标的加权平均（准时足量 30、订单确认 25、群内回复 15、更新及时 10、提前通知 10、无变更 10）。无数据不会计为 0 或 100。", "trend": "趋势", "ack_median": "确认用时（中位数）", "change_rate": "带变更的答复", "on_time": "准时", "in_full": "足量", "notice_ahead": "提前发货通知", "freshness": "至少每 48 小时更新", "promise_accuracy": "到货与承诺日期", "pb_early_3+": "提前 3 天以上", "pb_early_1_2": "提前 1–2 天", "pb_on_day": "当天", "pb_late_1_2": "晚 1–2 天", "pb_late_3_7": "晚 3–7 天", "pb_late_8+": "晚 8 天以上",
		"groups": "协作群", "group": "协作群", "members": "成员", "status_feed": "自动状态", "new_group": "新建协作群", "purpose": "用途", "g_partner": "伙伴群", "g_internal": "内部群", "create_group": "创建", "group_created": "协作群已创建。", "member_added": "成员已添加。", "no_status": "不推送自动状态", "no_status_mixed": "群内有多个伙伴的联系人，因此不会自动推送任何伙伴的状态。", "bridges": "外部群桥接", "add_member": "添加成员", "side_staff": "员工", "side_partner": "伙伴联系人", "reconnecting": "正在重新连接…", "write_hint": "输入消息；@姓名 提及成员", "message": "消息", "share_documents": "共享文件", "send": "发送", "a_approve": "批准", "a_reject": "拒绝", "a_acknowledge": "确认订单", "a_confirm_receipt": "确认收货", "card_done": "已处理", "by": "处理人", "open_link": "查看", "system": "Tierlink", "partner_side": "伙伴", "out_answered": "已答复", "out_approved": "已批准", "out_rejected": "已拒绝", "out_received": "已收货", "out_cancelled": "已取消", "secret_once": "签名密钥（仅显示这一次，请交给接收系统）：", "k_wecom": "企业微信群机器人", "k_feishu": "飞书机器人", "k_dingtalk": "钉钉机器人", "k_slack": "Slack Webhook", "k_webhook": "签名 Webhook", "enabled": "已启用", "paused": "已暂停", "dead": "死信", "send_test": "发送测试消息", "time": "时间", "attempts": "尝试次数", "last_error": "最近错误", "retry": "重试", "d_pending": "待发送", "d_sent": "已发送", "d_dead": "失败", "new_bridge": "连接外部群", "signing_secret": "签名密钥", "add_bridge": "添加", "bridge_created": "已添加桥接。", "test_queued": "测试消息已排队。", "retry_queued": "已重新排队。",
		"all_contacts": "添加该伙伴的全部联系人", "invalid_form": "请更正下面标出的字段。",
	},
}
