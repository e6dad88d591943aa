package portal

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/shipments"
)

// matrixRow is one route's expected statuses for every kind of caller,
// in the order anon, viewer, buyer, admin, partner A, partner B. The
// records named by the path belong to partner A, so partner B's column
// says what a foreign partner gets.
type matrixRow struct {
	path  string                     // with {A}, {CA}, {CA2}, {B2}, {TOK}, {TR}, {INV} placeholders
	body  func(e *env, w who) string // nil: no body
	setup func(e *env, vars map[string]string)
	want  string
}

func jsonBody(s string) func(*env, who) string { return func(*env, who) string { return s } }

var matrix = map[string]matrixRow{
	"GET /healthz":          {path: "/healthz", want: "200 200 200 200 200 200"},
	"GET /readyz":           {path: "/readyz", want: "200 200 200 200 200 200"},
	"GET /metrics":          {path: "/metrics", want: "200 200 200 200 200 200"},
	"GET /api/openapi.json": {path: "/api/openapi.json", want: "200 200 200 200 200 200"},
	"GET /assets/:name":     {path: "/assets/app.css", want: "200 200 200 200 200 200"},
	"GET /favicon.ico":      {path: "/favicon.ico", want: "301 301 301 301 301 301"},
	"GET /branding/logo":    {path: "/branding/logo", want: "404 404 404 404 404 404"},

	"POST /api/v1/auth/login": {path: "/api/v1/auth/login",
		body: jsonBody(`{"email":"buyer@co.test","password":"correct horse battery"}`), want: "200 200 200 200 200 200"},
	"POST /api/v1/auth/logout": {path: "/api/v1/auth/logout", want: "401 204 204 204 204 204"},
	"GET /api/v1/me":           {path: "/api/v1/me", want: "401 200 200 200 200 200"},
	"PATCH /api/v1/me":         {path: "/api/v1/me", body: jsonBody(`{"locale":"en"}`), want: "401 200 200 200 200 200"},
	"GET /api/v1/me/todo":      {path: "/api/v1/me/todo", want: "401 200 200 200 200 200"},

	"GET /api/v1/partners": {path: "/api/v1/partners", want: "401 200 200 200 200 200"},
	"POST /api/v1/partners": {path: "/api/v1/partners", body: func(_ *env, w who) string {
		return fmt.Sprintf(`{"code":"NEW-%s","name":"New %s","kind":"service"}`, w, w)
	}, want: "401 403 201 201 403 403"},
	"GET /api/v1/partners/:id":           {path: "/api/v1/partners/{A}", want: "401 200 200 200 200 404"},
	"PATCH /api/v1/partners/:id":         {path: "/api/v1/partners/{A}", body: jsonBody(`{"address":"1 Road"}`), want: "401 403 200 200 403 403"},
	"GET /api/v1/partners/:id/contacts":  {path: "/api/v1/partners/{A}/contacts", want: "401 200 200 200 200 404"},
	"GET /api/v1/partners/:id/transfers": {path: "/api/v1/partners/{A}/transfers", want: "401 200 200 200 403 403"},
	"GET /api/v1/partners/:id/audit":     {path: "/api/v1/partners/{A}/audit", want: "401 200 200 200 403 403"},

	"GET /api/v1/contacts": {path: "/api/v1/contacts", want: "401 200 200 200 200 200"},
	"POST /api/v1/contacts": {path: "/api/v1/contacts", body: func(e *env, w who) string {
		return fmt.Sprintf(`{"partner_id":%d,"name":"C %s","owner_id":%d}`, e.f.PartnerA.ID, w, e.f.Buyer.ID)
	}, want: "401 403 201 201 403 403"},
	"GET /api/v1/contacts/:id":           {path: "/api/v1/contacts/{CA}", want: "401 200 200 200 200 404"},
	"PATCH /api/v1/contacts/:id":         {path: "/api/v1/contacts/{CA}", body: jsonBody(`{"title":"Sales"}`), want: "401 403 200 200 403 403"},
	"GET /api/v1/contacts/:id/transfers": {path: "/api/v1/contacts/{CA}/transfers", want: "401 200 200 200 403 403"},

	"GET /api/v1/transfers": {path: "/api/v1/transfers", want: "401 200 200 200 403 403"},
	"POST /api/v1/transfers": {path: "/api/v1/transfers", body: func(e *env, w who) string {
		to := e.f.Buyer2.ID
		if w == wAdmin { // the buyer already moved it to buyer2
			to = e.f.Buyer.ID
		}
		return fmt.Sprintf(`{"contact_ids":[%d],"to_owner_id":%d,"note":"matrix"}`, e.f.ContactA2.ID, to)
	}, want: "401 403 201 201 403 403"},
	"POST /api/v1/transfers/:id/cancel": {path: "/api/v1/transfers/{TR}/cancel", setup: pendingTransfer, want: "401 403 200 409 403 403"},

	"GET /api/v1/users": {path: "/api/v1/users", want: "401 200 200 200 403 403"},
	"POST /api/v1/users": {path: "/api/v1/users", body: func(_ *env, w who) string {
		return fmt.Sprintf(`{"email":"%s@new.test","name":"N","role":"viewer","password":"a long enough password"}`, w)
	}, want: "401 403 403 201 403 403"},
	"GET /api/v1/users/:id": {path: "/api/v1/users/{B2}", want: "401 200 200 200 403 403"},
	"POST /api/v1/users/:id/deactivate": {path: "/api/v1/users/{B2}/deactivate", body: func(e *env, _ who) string {
		return fmt.Sprintf(`{"heir_id":%d}`, e.f.Buyer.ID)
	}, want: "401 403 403 200 403 403"},
	"POST /api/v1/users/:id/reactivate": {path: "/api/v1/users/{B2}/reactivate", setup: deactivatedBuyer2, want: "401 403 403 200 403 403"},

	"GET /api/v1/tokens":        {path: "/api/v1/tokens", want: "401 200 200 200 200 200"},
	"POST /api/v1/tokens":       {path: "/api/v1/tokens", body: jsonBody(`{"name":"erp"}`), want: "401 201 201 201 201 201"},
	"DELETE /api/v1/tokens/:id": {path: "/api/v1/tokens/{TOK}", setup: buyerToken, want: "401 404 204 204 404 404"},

	"GET /api/v1/invitations": {path: "/api/v1/invitations", want: "401 200 200 200 403 403"},
	"POST /api/v1/invitations": {path: "/api/v1/invitations", body: func(e *env, _ who) string {
		return fmt.Sprintf(`{"contact_id":%d}`, e.f.ContactA2.ID)
	}, want: "401 403 201 201 403 403"},
	"POST /api/v1/invitations/accept": {path: "/api/v1/invitations/accept", setup: invitation, body: func(e *env, _ who) string {
		return fmt.Sprintf(`{"token":%q,"name":"New","password":"a long enough password"}`, e.vars["INV"])
	}, want: "201 404 404 404 404 404"},

	"GET /api/v1/audit": {path: "/api/v1/audit", want: "401 200 200 200 403 403"},

	"GET /api/v1/documents": {path: "/api/v1/documents", setup: docA, want: "401 200 200 200 200 200"},
	"POST /api/v1/documents": {path: "/api/v1/documents?partner_id={A}&kind=certificate&filename=c.pdf&expires_on=2030-01-01",
		body: rawPDF, want: "401 403 201 201 201 422"},
	"GET /api/v1/documents/:id":           {path: "/api/v1/documents/{DOC}", setup: docA, want: "401 200 200 200 200 404"},
	"PATCH /api/v1/documents/:id":         {path: "/api/v1/documents/{DOC}", setup: docA, body: jsonBody(`{"title":"New title"}`), want: "401 403 200 200 403 403"},
	"DELETE /api/v1/documents/:id":        {path: "/api/v1/documents/{DOC}", setup: docA, want: "401 403 204 404 403 403"},
	"POST /api/v1/documents/:id/versions": {path: "/api/v1/documents/{DOC}/versions?filename=v2.pdf", setup: docA, body: rawPDF, want: "401 403 201 201 201 404"},
	"GET /api/v1/documents/:id/download":  {path: "/api/v1/documents/{DOC}/download", setup: docA, want: "401 200 200 200 200 404"},
	"GET /api/v1/documents/:id/downloads": {path: "/api/v1/documents/{DOC}/downloads", setup: docA, want: "401 200 200 200 403 403"},
	"GET /documents/:id":                  {path: "/documents/{DOC}", setup: docA, want: "303 200 200 200 200 404"},
	"POST /documents/:id/delete":          {path: "/documents/{DOC}/delete", setup: docA, body: jsonBody("x=1"), want: "303 403 303 404 403 403"},

	"GET /api/v1/orders": {path: "/api/v1/orders", setup: orderSetup, want: "401 200 200 200 200 200"},
	"POST /api/v1/orders": {path: "/api/v1/orders", body: func(e *env, w who) string {
		return fmt.Sprintf(`{"partner_id":%d,"direction":"upstream","number":"PO-%s","currency":"CNY","lines":[{"item_code":"X","quantity":1,"unit_price":1,"required_date":"2026-12-01"}]}`, e.f.PartnerA.ID, w)
	}, want: "401 403 201 201 403 403"},
	"GET /api/v1/orders/:id": {path: "/api/v1/orders/{ORD}", setup: orderSetup, want: "401 200 200 200 200 404"},
	"POST /api/v1/orders/import": {path: "/api/v1/orders/import?publish=true", body: func(_ *env, w who) string {
		return "text/csv\x00partner_code,order_number,currency,item_code,quantity,unit_price,required_date\nSUP-A,PO-IMP-" + string(w) + ",CNY,X,1,1,2026-12-01\n"
	}, want: "401 403 201 201 403 403"},
	"POST /api/v1/orders/:id/publish":         {path: "/api/v1/orders/{DRAFT}/publish", setup: orderSetup, want: "401 403 200 409 403 403"},
	"PATCH /api/v1/orders/:id":                {path: "/api/v1/orders/{DRAFT}", setup: orderSetup, body: jsonBody(`{"currency":"CNY","lines":[{"item_code":"X","quantity":2,"unit_price":1,"required_date":"2026-12-01"}]}`), want: "401 403 200 200 403 403"},
	"POST /api/v1/orders/:id/cancel":          {path: "/api/v1/orders/{DRAFT}/cancel", setup: orderSetup, body: jsonBody(`{"reason":"matrix"}`), want: "401 403 200 409 403 403"},
	"GET /api/v1/orders/:id/acknowledgements": {path: "/api/v1/orders/{ORD}/acknowledgements", setup: orderSetup, want: "401 200 200 200 200 404"},
	"POST /api/v1/orders/:id/acknowledgements": {path: "/api/v1/orders/{ORD}/acknowledgements", setup: orderSetup, body: func(_ *env, w who) string {
		line := map[who]int{wBuyer: 1, wAdmin: 2, wPartner: 3}[w]
		return fmt.Sprintf(`{"lines":[{"line_no":%d,"action":"accept"}]}`, max(line, 1))
	}, want: "401 403 201 201 201 404"},
	"GET /api/v1/orders/:id/change-requests": {path: "/api/v1/orders/{ORD}/change-requests", setup: orderSetup, want: "401 200 200 200 200 404"},
	"GET /api/v1/change-requests":            {path: "/api/v1/change-requests?state=open", setup: orderSetup, want: "401 200 200 200 403 403"},
	"POST /api/v1/change-requests/:id/decision": {path: "/api/v1/change-requests/{CR}/decision", setup: orderSetup,
		body: jsonBody(`{"decision":"approve"}`), want: "401 403 200 409 403 403"},
	"GET /api/v1/events": {path: "/api/v1/events", setup: orderSetup, want: "401 200 200 200 200 200"},

	"GET /api/v1/shipments": {path: "/api/v1/shipments", setup: orderSetup, want: "401 200 200 200 200 200"},
	"POST /api/v1/shipments": {path: "/api/v1/shipments", setup: orderSetup, body: func(e *env, _ who) string {
		return fmt.Sprintf(`{"partner_id":%d,"carrier":"SF","lines":[{"order_id":%s,"line_no":2,"quantity":0.1}]}`, e.f.PartnerA.ID, e.vars["ORD"])
	}, want: "401 403 201 201 201 422"},
	"GET /api/v1/shipments/:id":        {path: "/api/v1/shipments/{SHIP}", setup: orderSetup, want: "401 200 200 200 200 404"},
	"GET /api/v1/shipments/:id/events": {path: "/api/v1/shipments/{SHIP}/events", setup: orderSetup, want: "401 200 200 200 200 404"},
	"POST /api/v1/shipments/:id/events": {path: "/api/v1/shipments/{SHIP}/events", setup: orderSetup, body: func(_ *env, w who) string {
		switch w {
		case wAdmin:
			return `{"kind":"in_transit","location":"Shanghai"}`
		case wPartner:
			return `{"kind":"delayed","reason":"customs","new_eta":"2026-12-20"}`
		}
		return `{"kind":"shipped"}`
	}, want: "401 403 201 201 201 404"},
	"GET /api/v1/status-board": {path: "/api/v1/status-board", setup: orderSetup, want: "401 200 200 200 200 200"},

	// Pages: anonymous callers are sent to the login page.
	"GET /":      {path: "/", want: "303 200 200 200 200 200"},
	"GET /login": {path: "/login", want: "200 303 303 303 303 303"},
	"POST /login": {path: "/login", body: func(*env, who) string {
		return "email=buyer%40co.test&password=correct+horse+battery"
	}, want: "303 303 303 303 303 303"},
	"POST /logout":       {path: "/logout", body: jsonBody("x=1"), want: "303 303 303 303 303 303"},
	"GET /api/v1/groups": {path: "/api/v1/groups", setup: groupSetup, want: "401 200 200 200 200 200"},
	"POST /api/v1/groups": {path: "/api/v1/groups", body: func(_ *env, w who) string {
		return fmt.Sprintf(`{"name":"Group %s","kind":"internal"}`, w)
	}, want: "401 403 201 201 403 403"},
	"GET /api/v1/groups/:id":         {path: "/api/v1/groups/{GRP}", setup: groupSetup, want: "401 200 200 200 200 404"},
	"PATCH /api/v1/groups/:id":       {path: "/api/v1/groups/{GRP}", setup: groupSetup, body: jsonBody(`{"purpose":"PO follow-up"}`), want: "401 403 200 200 403 403"},
	"GET /api/v1/groups/:id/members": {path: "/api/v1/groups/{GRP}/members", setup: groupSetup, want: "401 200 200 200 200 404"},
	"POST /api/v1/groups/:id/members": {path: "/api/v1/groups/{GRP}/members", setup: groupSetup, body: func(e *env, w who) string {
		return fmt.Sprintf(`{"user_id":%d}`, pick(w == wAdmin, e.f.Admin.ID, e.f.Viewer.ID))
	}, want: "401 403 201 201 403 403"},
	"DELETE /api/v1/groups/:id/members/:member_id": {path: "/api/v1/groups/{GRP}/members/{MEM}", setup: groupSetup, want: "401 403 204 404 403 403"},
	"GET /api/v1/groups/:id/posts":                 {path: "/api/v1/groups/{GRP}/posts", setup: groupSetup, want: "401 200 200 200 200 404"},
	"POST /api/v1/groups/:id/posts":                {path: "/api/v1/groups/{GRP}/posts", setup: groupSetup, body: jsonBody(`{"body":"@刘洋 when does it ship?"}`), want: "401 403 201 201 201 404"},
	"GET /api/v1/groups/:id/stream":                {path: "/api/v1/groups/{GRP}/stream?after=0", setup: groupSetup, want: "401 200 200 200 200 404"},
	"GET /api/v1/groups/:id/bridges":               {path: "/api/v1/groups/{GRP}/bridges", setup: groupSetup, want: "401 200 200 200 403 403"},
	"POST /api/v1/groups/:id/bridges": {path: "/api/v1/groups/{GRP}/bridges", setup: groupSetup,
		body: jsonBody(`{"kind":"slack","name":"Slack","url":"http://127.0.0.1:9/services/T/B/X"}`), want: "401 403 201 201 403 403"},
	"POST /api/v1/cards/:id/actions": {path: "/api/v1/cards/{CRCARD}/actions", setup: groupSetup, body: jsonBody(`{"action":"approve"}`),
		want: "401 403 200 409 403 404"},
	"GET /api/v1/bridges/:id":            {path: "/api/v1/bridges/{BR}", setup: groupSetup, want: "401 200 200 200 403 403"},
	"PATCH /api/v1/bridges/:id":          {path: "/api/v1/bridges/{BR}", setup: groupSetup, body: jsonBody(`{"enabled":false}`), want: "401 403 200 200 403 403"},
	"POST /api/v1/bridges/:id/test":      {path: "/api/v1/bridges/{BR}/test", setup: groupSetup, want: "401 403 201 201 403 403"},
	"GET /api/v1/bridges/:id/deliveries": {path: "/api/v1/bridges/{BR}/deliveries", setup: groupSetup, want: "401 200 200 200 403 403"},
	"GET /api/v1/scorecards":             {path: "/api/v1/scorecards", want: "401 200 200 200 200 200"},
	"GET /api/v1/scorecards/owners":      {path: "/api/v1/scorecards/owners", want: "401 200 200 200 403 403"},
	"GET /api/v1/scorecards/:id":         {path: "/api/v1/scorecards/{A}", want: "401 200 200 200 200 404"},
	"POST /api/v1/scorecards/recompute":  {path: "/api/v1/scorecards/recompute", body: jsonBody(`{"period":"month","day":"2026-10-15"}`), want: "401 403 403 200 403 403"},
	"GET /api/v1/jobs":                   {path: "/api/v1/jobs", want: "401 200 200 200 403 403"},
	"GET /api/v1/jobs/:name":             {path: "/api/v1/jobs/session-purge", want: "401 200 200 200 403 403"},
	"GET /api/v1/wecom/unmatched":        {path: "/api/v1/wecom/unmatched", setup: unmatchedWeComContact, want: "401 200 200 200 403 403"},
	"POST /api/v1/wecom/unmatched/:external_userid/assign": {path: "/api/v1/wecom/unmatched/wmMATRIX/assign", setup: unmatchedWeComContact,
		body: func(e *env, _ who) string { return fmt.Sprintf(`{"partner_id":%d}`, e.f.PartnerA.ID) }, want: "401 403 200 409 403 403"},
	"POST /api/v1/wecom/corp-mappings": {path: "/api/v1/wecom/corp-mappings",
		body: func(e *env, _ who) string {
			return fmt.Sprintf(`{"corp_name":"Acme","partner_id":%d}`, e.f.PartnerA.ID)
		}, want: "401 403 200 200 403 403"},
	"GET /api/v1/wecom/settings": {path: "/api/v1/wecom/settings", want: "401 403 403 200 403 403"},
	"PUT /api/v1/wecom/settings": {path: "/api/v1/wecom/settings", body: jsonBody(`{"corp_id":"wwmatrix"}`), want: "401 403 403 200 403 403"},
	"POST /admin/wecom/settings": {path: "/admin/wecom/settings", body: jsonBody("corp_id=wwmatrix"), want: "303 403 403 303 403 403"},
	"GET /wecom/unmatched":       {path: "/wecom/unmatched", setup: unmatchedWeComContact, want: "303 200 200 200 403 403"},
	"POST /wecom/unmatched/assign": {path: "/wecom/unmatched/assign", setup: unmatchedWeComContact,
		body: func(e *env, _ who) string {
			return fmt.Sprintf("external_userid=wmMATRIX&partner_id=%d", e.f.PartnerA.ID)
		}, want: "303 403 303 409 403 403"},
	"POST /wecom/unmatched/map": {path: "/wecom/unmatched/map",
		body: func(e *env, _ who) string { return fmt.Sprintf("corp_name=Acme&partner_id=%d", e.f.PartnerA.ID) }, want: "303 403 303 303 403 403"},
	"PUT /api/v1/wecom/staff/:id": {path: "/api/v1/wecom/staff/{B2}", body: func(_ *env, w who) string { return fmt.Sprintf(`{"wecom_userid":"u-%s"}`, w) },
		want: "401 403 403 200 403 403"},
	"POST /api/v1/jobs/:name/pause":     {path: "/api/v1/jobs/session-purge/pause", want: "401 403 403 200 403 403"},
	"POST /api/v1/jobs/:name/resume":    {path: "/api/v1/jobs/session-purge/resume", want: "401 403 403 200 403 403"},
	"POST /api/v1/jobs/:name/run":       {path: "/api/v1/jobs/session-purge/run", want: "401 403 403 202 403 403"},
	"POST /api/v1/deliveries/:id/retry": {path: "/api/v1/deliveries/{DEAD}/retry", setup: groupSetup, want: "401 403 403 200 403 403"},

	"GET /partners":     {path: "/partners", want: "303 200 200 200 303 303"},
	"GET /partners/:id": {path: "/partners/{A}", want: "303 200 200 200 200 404"},
	"GET /contacts/:id": {path: "/contacts/{CA}", want: "303 200 200 200 403 403"},
	"POST /contacts/:id/transfer": {path: "/contacts/{CA}/transfer", body: func(e *env, w who) string {
		to := e.f.Buyer2.ID
		if w == wAdmin {
			to = e.f.Buyer.ID
		}
		return fmt.Sprintf("to_owner_id=%d&reason=reassignment&note=n", to)
	}, want: "303 403 303 303 403 403"},
	"POST /contacts/:id/invite": {path: "/contacts/{CA2}/invite", body: jsonBody("x=1"), want: "303 403 303 303 403 403"},
	"GET /transfers/new":        {path: "/transfers/new", want: "303 403 200 200 403 403"},
	"POST /transfers": {path: "/transfers", body: func(e *env, w who) string {
		to := e.f.Buyer2.ID
		if w == wAdmin {
			to = e.f.Buyer.ID
		}
		return fmt.Sprintf("contact_ids=%d&to_owner_id=%d", e.f.ContactA2.ID, to)
	}, want: "303 403 303 303 403 403"},
	"GET /staff":     {path: "/staff", want: "303 200 200 200 403 403"},
	"GET /staff/:id": {path: "/staff/{B2}", want: "303 403 403 200 403 403"},
	"POST /staff/:id/deactivate": {path: "/staff/{B2}/deactivate", body: func(e *env, _ who) string {
		return fmt.Sprintf("heir_id=%d", e.f.Buyer.ID)
	}, want: "303 403 403 303 403 403"},
	"GET /staff/:id/deactivate":  {path: "/staff/{B2}/deactivate", want: "303 403 403 200 403 403"},
	"POST /staff/:id/reactivate": {path: "/staff/{B2}/reactivate", setup: deactivatedBuyer2, body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"GET /invite/:token":         {path: "/invite/{INV}", setup: invitation, want: "200 200 200 200 200 200"},
	"POST /invite/:token": {path: "/invite/{INV}", setup: invitation, body: jsonBody("name=New&password=a+long+enough+password"),
		want: "303 404 404 404 404 404"},
	"GET /orders":     {path: "/orders", setup: orderSetup, want: "303 200 200 200 200 200"},
	"GET /orders/new": {path: "/orders/new", want: "303 403 200 200 403 403"},
	"POST /orders": {path: "/orders", body: func(e *env, w who) string {
		return fmt.Sprintf("partner_id=%d&number=PO-W-%s&currency=CNY&item_code=X&quantity=2&unit=pcs&unit_price=1.5&required_date=2026-12-01&item_code=&quantity=&publish=true", e.f.PartnerA.ID, w)
	}, want: "303 403 303 303 403 403"},
	"GET /orders/:id":      {path: "/orders/{ORD}", setup: orderSetup, want: "303 200 200 200 200 404"},
	"GET /orders/:id/edit": {path: "/orders/{DRAFT}/edit", setup: orderSetup, want: "303 403 200 200 403 403"},
	"POST /orders/:id/edit": {path: "/orders/{DRAFT}/edit", setup: orderSetup,
		body: jsonBody("currency=CNY&lines%5B0%5D.item_code=X&lines%5B0%5D.quantity=2&lines%5B0%5D.unit=pcs&lines%5B0%5D.unit_price=1&lines%5B0%5D.required_date=2026-12-01"),
		want: "303 403 303 303 403 403"},
	"POST /orders/:id/publish": {path: "/orders/{DRAFT}/publish", setup: orderSetup, body: jsonBody("x=1"), want: "303 403 303 409 403 403"},
	"GET /orders/:id/cancel":   {path: "/orders/{DRAFT}/cancel", setup: orderSetup, want: "303 403 200 200 403 403"},
	"POST /orders/:id/cancel":  {path: "/orders/{DRAFT}/cancel", setup: orderSetup, body: jsonBody("reason=matrix"), want: "303 403 303 409 403 403"},
	"GET /shipments":           {path: "/shipments", setup: orderSetup, want: "303 200 200 200 200 200"},
	"POST /orders/:id/acknowledge": {path: "/orders/{ORD}/acknowledge", setup: orderSetup, body: func(_ *env, w who) string {
		return fmt.Sprintf("lines%%5B0%%5D.line_no=%d&lines%%5B0%%5D.action=accept", max(map[who]int{wBuyer: 1, wAdmin: 2, wPartner: 3}[w], 1))
	}, want: "303 403 303 303 303 404"},
	"POST /change-requests/:id/decision": {path: "/change-requests/{CR}/decision", setup: orderSetup, body: jsonBody("decision=approve"),
		want: "303 403 303 409 403 403"},
	"GET /board":           {path: "/board", setup: orderSetup, want: "303 200 200 200 200 200"},
	"GET /change-requests": {path: "/change-requests", setup: orderSetup, want: "303 200 200 200 403 403"},
	"GET /shipments/new":   {path: "/shipments/new?order_id={ORD}", setup: orderSetup, want: "303 200 200 200 200 404"},
	"POST /shipments": {path: "/shipments", setup: orderSetup, body: func(e *env, _ who) string {
		return fmt.Sprintf("order_id=%s&partner_id=%d&carrier=SF&lines%%5B0%%5D.order_id=%s&lines%%5B0%%5D.line_no=2&lines%%5B0%%5D.quantity=0.1", e.vars["ORD"], e.f.PartnerA.ID, e.vars["ORD"])
	}, want: "303 403 303 303 303 404"},
	"GET /shipments/:id": {path: "/shipments/{SHIP}", setup: orderSetup, want: "303 200 200 200 200 404"},
	"POST /shipments/:id/events": {path: "/shipments/{SHIP}/events", setup: orderSetup, body: func(_ *env, w who) string {
		switch w {
		case wAdmin:
			return "kind=in_transit&location=Shanghai"
		case wPartner:
			return "kind=delayed&reason=customs&new_eta=2026-12-20"
		}
		return "kind=shipped"
	}, want: "303 403 303 303 303 404"},
	"GET /groups":            {path: "/groups", setup: groupSetup, want: "303 200 200 200 200 200"},
	"POST /groups":           {path: "/groups", body: jsonBody("name=Quality+room&kind=internal"), want: "303 403 303 303 403 403"},
	"GET /groups/:id":        {path: "/groups/{GRP}", setup: groupSetup, want: "303 200 200 200 200 404"},
	"POST /groups/:id/posts": {path: "/groups/{GRP}/posts", setup: groupSetup, body: jsonBody("body=hello"), want: "303 403 303 303 303 404"},
	"POST /groups/:id/members": {path: "/groups/{GRP}/members", setup: groupSetup, body: func(e *env, w who) string {
		return fmt.Sprintf("user_id=%d", pick(w == wAdmin, e.f.Admin.ID, e.f.Viewer.ID))
	}, want: "303 403 303 303 403 403"},
	"POST /cards/:id/act":           {path: "/cards/{CRCARD}/act", setup: groupSetup, body: jsonBody("action=approve"), want: "303 403 303 409 403 404"},
	"GET /groups/:id/bridges":       {path: "/groups/{GRP}/bridges", setup: groupSetup, want: "303 200 200 200 403 403"},
	"POST /groups/:id/bridges":      {path: "/groups/{GRP}/bridges", setup: groupSetup, body: jsonBody("kind=slack&name=S&url=http%3A%2F%2F127.0.0.1%3A9%2Fx"), want: "303 403 303 303 403 403"},
	"POST /bridges/:id/test":        {path: "/bridges/{BR}/test", setup: groupSetup, body: jsonBody("x=1"), want: "303 403 303 303 403 403"},
	"POST /partners/:id/ordering":   {path: "/partners/{A}/ordering", body: jsonBody("ack_sla_hours=24&over_delivery_pct=5&block_on_lapsed_certificate=1"), want: "303 403 303 303 403 403"},
	"POST /groups/:id/digest":       {path: "/groups/{GRP}/digest", setup: groupSetup, body: jsonBody("digest_enabled=true&digest_schedule=0+9+*+*+1"), want: "303 403 303 303 403 403"},
	"GET /scorecards":               {path: "/scorecards", want: "303 200 200 200 200 200"},
	"GET /scorecards.csv":           {path: "/scorecards.csv", want: "303 200 200 200 200 200"},
	"GET /scorecards/owners":        {path: "/scorecards/owners", want: "303 200 200 200 403 403"},
	"GET /scorecards/:id":           {path: "/scorecards/{A}", want: "303 200 200 200 200 404"},
	"GET /admin/jobs":               {path: "/admin/jobs", want: "303 200 200 200 403 403"},
	"GET /admin/jobs/:name":         {path: "/admin/jobs/session-purge", want: "303 200 200 200 403 403"},
	"POST /admin/jobs/:name/pause":  {path: "/admin/jobs/session-purge/pause", body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"POST /admin/jobs/:name/resume": {path: "/admin/jobs/session-purge/resume", body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"POST /admin/jobs/:name/run":    {path: "/admin/jobs/session-purge/run", body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"POST /deliveries/:id/retry":    {path: "/deliveries/{DEAD}/retry", setup: groupSetup, body: jsonBody("x=1"), want: "303 403 403 303 403 403"},
	"GET /settings":                 {path: "/settings", want: "303 200 200 200 200 200"},
	"POST /settings":                {path: "/settings", body: jsonBody("locale=zh-CN"), want: "303 303 303 303 303 303"},
	// WeCom sign-in (web_wecom.go): not configured here, so both steps
	// send everyone to the refusal page (a signed-in reader to next).
	"GET /wecom/login":    {path: "/wecom/login", want: "303 303 303 303 303 303"},
	"GET /wecom/oauth":    {path: "/wecom/oauth?code=c0de&state=5747e", want: "303 303 303 303 303 303"},
	"GET /wecom/refused":  {path: "/wecom/refused?reason=bad_code", want: "200 200 200 200 200 200"},
	"GET /admin/wecom":    {path: "/admin/wecom", want: "303 403 403 200 403 403"},
	"GET /wecom/callback": {path: "/wecom/callback?{VQ}", setup: weComCallbackRoutes, want: "200 200 200 200 200 200"},
	"POST /wecom/callback": {path: "/wecom/callback?{CBQ}", setup: weComCallbackRoutes, body: func(e *env, _ who) string { return e.vars["CBBODY"] },
		want: "200 200 200 200 200 200"},
}

func rawPDF(*env, who) string { return "application/pdf\x00" + string(pdf) }

func docA(e *env, vars map[string]string) { vars["DOC"] = fmt.Sprint(e.docA()) }

// orderSetup makes a published three-line order of partner A ({ORD}), a
// draft ({DRAFT}), and an open change request on another order ({CR}).
func orderSetup(e *env, vars map[string]string) {
	mk := func(number string, lines int) orders.Order {
		in := orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY"}
		for i := 0; i < lines; i++ {
			in.Lines = append(in.Lines, orders.LineInput{ItemCode: fmt.Sprint("ITEM-", i), Quantity: 1000, UnitPrice: 10000, RequiredDate: "2026-12-01"})
		}
		o, err := e.f.Orders.Create(e.f.Ctx(e.f.Buyer), in)
		if err != nil {
			e.t.Fatal(err)
		}
		return o
	}
	o := mk("PO-M1", 3)
	if _, err := e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), o.ID); err != nil {
		e.t.Fatal(err)
	}
	vars["ORD"] = fmt.Sprint(o.ID)
	vars["DRAFT"] = fmt.Sprint(mk("PO-M2", 1).ID)
	c := mk("PO-M3", 1)
	e.f.Orders.Publish(e.f.Ctx(e.f.Buyer), c.ID)
	c, err := e.f.Orders.Acknowledge(e.f.Ctx(e.f.UserA), c.ID, orders.AckInput{Lines: []orders.AckLine{{LineNo: 1, Action: "change", PromisedDate: "2026-12-09"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["CR"] = fmt.Sprint(c.ChangeRequests[0].ID)
	sh, err := e.f.Shipments.Create(e.f.Ctx(e.f.UserA), shipments.Input{PartnerID: e.f.PartnerA.ID,
		Lines: []shipments.LineInput{{OrderID: o.ID, LineNo: 1, Quantity: 1000}}})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["SHIP"] = fmt.Sprint(sh.ID)
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

// groupSetup makes partner A's group ({GRP}) with both of A's contacts
// ({MEM} is the second), then the orders of orderSetup, whose events put
// an acknowledgement card ({ACKCARD}) and a change-request card
// ({CRCARD}) in it; a bridge ({BR}) with a dead letter ({DEAD}).
func groupSetup(e *env, vars map[string]string) {
	g, err := e.f.Groups.Create(e.f.Ctx(e.f.Buyer), groups.GroupInput{Name: "华星 coordination", Kind: "partner", PartnerID: e.f.PartnerA.ID,
		ContactIDs: []int{e.f.ContactA.ID, e.f.ContactA2.ID}})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["GRP"] = fmt.Sprint(g.ID)
	ms, _ := e.f.Groups.Members(e.f.Ctx(e.f.Buyer), g.ID)
	for _, m := range ms.Items {
		if m.ContactID != nil && *m.ContactID == e.f.ContactA2.ID {
			vars["MEM"] = fmt.Sprint(m.ID)
		}
	}
	orderSetup(e, vars)
	feed, err := e.f.Groups.Posts(e.f.Ctx(e.f.Buyer), g.ID, groups.PostFilter{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range feed.Items {
		if p.Card != nil {
			vars[map[string]string{groups.CardOrderAck: "ACKCARD", groups.CardChangeRequest: "CRCARD"}[p.Card.Kind]] = fmt.Sprint(p.ID)
		}
	}
	b, err := e.f.Groups.CreateBridge(e.f.Ctx(e.f.Buyer), g.ID, groups.BridgeInput{Kind: "webhook", Name: "ERP", URL: "http://127.0.0.1:9/hook"})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["BR"] = fmt.Sprint(b.ID)
	d, err := e.f.Groups.SendTest(e.f.Ctx(e.f.Buyer), b.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.f.DB.Client.Delivery.UpdateOneID(d.ID).SetState("dead").Exec(e.f.System()); err != nil {
		e.t.Fatal(err)
	}
	vars["DEAD"] = fmt.Sprint(d.ID)
}

func pendingTransfer(e *env, vars map[string]string) {
	at := time.Now().Add(time.Hour)
	ts, err := e.f.Dir.Transfer(e.f.Ctx(e.f.Buyer), directory.TransferInput{ContactIDs: []int{e.f.ContactA2.ID}, ToOwnerID: e.f.Buyer2.ID, EffectiveAt: &at})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["TR"] = fmt.Sprint(ts[0].ID)
}

// deactivatedBuyer2 deactivates buyer 2, for the routes that reactivate.
func deactivatedBuyer2(e *env, _ map[string]string) {
	if _, err := e.f.Acc.Deactivate(e.f.Ctx(e.f.Admin), e.f.Buyer2.ID, accounts.DeactivateInput{HeirID: e.f.Buyer.ID}); err != nil {
		e.t.Fatal(err)
	}
}

func buyerToken(e *env, vars map[string]string) {
	tok, err := e.f.Acc.CreateToken(e.f.Ctx(e.f.Buyer), accounts.TokenInput{Name: "erp"})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["TOK"] = fmt.Sprint(tok.ID)
}

func invitation(e *env, vars map[string]string) {
	inv, err := e.f.Acc.CreateInvitation(e.f.Ctx(e.f.Buyer), accounts.InvitationInput{ContactID: e.f.ContactA2.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	vars["INV"] = inv.Token
}

// routeKeys lists every route the router serves, as "METHOD /path".
func routeKeys(s *Server) []string {
	seen := map[string]bool{}
	for _, r := range s.App().GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "CONNECT" || r.Method == "TRACE" || r.Method == "OPTIONS" {
			continue
		}
		seen[r.Method+" "+r.Path] = true
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			probe := newEnv(t, d)
			keys := routeKeys(probe.srv)
			for _, k := range keys {
				if _, ok := matrix[k]; !ok {
					t.Errorf("route %s has no row in the authorization matrix", k)
				}
			}
			for k := range matrix {
				if !containsString(keys, k) {
					t.Errorf("matrix row %s names no route", k)
				}
			}
			for _, k := range keys {
				row, ok := matrix[k]
				if !ok {
					continue
				}
				t.Run(strings.ReplaceAll(k, "/", "_"), func(t *testing.T) {
					e := newEnv(t, d)
					e.vars = map[string]string{"A": fmt.Sprint(e.f.PartnerA.ID), "CA": fmt.Sprint(e.f.ContactA.ID),
						"CA2": fmt.Sprint(e.f.ContactA2.ID), "B2": fmt.Sprint(e.f.Buyer2.ID)}
					if row.setup != nil {
						row.setup(e, e.vars)
					}
					path := row.path
					for name, v := range e.vars {
						path = strings.ReplaceAll(path, "{"+name+"}", v)
					}
					method, _, _ := strings.Cut(k, " ")
					want := strings.Fields(row.want)
					for i, w := range everyone {
						body := ""
						if row.body != nil {
							body = row.body(e, w)
						}
						resp, b := e.call(w, method, path, body)
						if got := fmt.Sprint(resp.StatusCode); got != want[i] {
							t.Errorf("%s as %s: status %s, want %s\n%.400s", k, w, got, want[i], b)
						}
					}
				})
			}
		})
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
