// An order journey through a client generated from the served OpenAPI
// document (openapi-typescript → schema.d.ts, openapi-fetch), run by
// TestGeneratedClientJourney in portal/apicontract_test.go.
//
// Two checks meet here. At compile time, tsc --strict holds every request
// and every field read below to the document's types: a wrong name, a
// string id or a missing field fails the build. At run time, a middleware
// checks each answer against the document it came from: its status must
// be declared, and its body must fit the declared schema (types, required
// fields, formats, and no field the document does not name). Any non-2xx
// answer ends the run with its problem.
//
// Environment: TIERLINK_BASE_URL, TIERLINK_TOKEN (the buyer's API token),
// TIERLINK_ORDER_NUMBER, TIERLINK_PROMISED_DATE (YYYY-MM-DD). The last
// line printed is a JSON summary the Go test reads.

import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

// Just the part of Node's process this script uses (no @types/node).
declare const process: { env: Record<string, string | undefined> };

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "") {
    throw new Error(`journey: ${name} is not set`);
  }
  return v;
}

const baseUrl = env("TIERLINK_BASE_URL");
const token = env("TIERLINK_TOKEN");
const orderNumber = env("TIERLINK_ORDER_NUMBER");
const promised = env("TIERLINK_PROMISED_DATE");

// ---- The document, as served, for the run-time check of each answer.

type Obj = { [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field(v: unknown, key: string): unknown {
  return isObj(v) ? v[key] : undefined;
}

const docResp = await fetch(`${baseUrl}/api/openapi.json`);
if (!docResp.ok) {
  throw new Error(`GET /api/openapi.json: HTTP ${docResp.status}`);
}
const doc: unknown = await docResp.json();

// resolve follows a local $ref ("#/components/…") to what it names.
function resolve(node: unknown): unknown {
  let n = node;
  for (let hops = 0; hops < 32; hops++) {
    const ref = field(n, "$ref");
    if (typeof ref !== "string") {
      return n;
    }
    if (!ref.startsWith("#/")) {
      throw new Error(`the document has a non-local $ref ${ref}`);
    }
    let target: unknown = doc;
    for (const part of ref.slice(2).split("/")) {
      target = field(target, part.replaceAll("~1", "/").replaceAll("~0", "~"));
    }
    if (target === undefined) {
      throw new Error(`the document's $ref ${ref} names nothing`);
    }
    n = target;
  }
  throw new Error("the document's $refs loop");
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}

const dateTimeRE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const dateRE = /^\d{4}-\d{2}-\d{2}$/;

// check appends to problems each way value fails the schema, for the
// parts of JSON Schema 2020-12 the document uses.
function check(schemaNode: unknown, value: unknown, at: string, problems: string[]): void {
  const s = resolve(schemaNode);
  if (!isObj(s)) {
    return; // true, or {}: anything goes
  }
  const allOf = s["allOf"];
  if (Array.isArray(allOf)) {
    for (const sub of allOf) check(sub, value, at, problems);
  }
  for (const key of ["anyOf", "oneOf"]) {
    const alts = s[key];
    if (Array.isArray(alts)) {
      const fits = alts.filter((sub) => {
        const p: string[] = [];
        check(sub, value, at, p);
        return p.length === 0;
      }).length;
      if (key === "anyOf" ? fits === 0 : fits !== 1) {
        problems.push(`${at}: ${show(value)} fits ${fits} of the ${key} alternatives`);
      }
    }
  }
  const t = s["type"];
  const types = typeof t === "string" ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
  const k = kindOf(value);
  if (types.length > 0 && !types.includes(k) && !(k === "integer" && types.includes("number"))) {
    problems.push(`${at}: the server sent ${k} ${show(value)}; the document says ${types.join(" or ")}`);
    return;
  }
  const en = s["enum"];
  if (Array.isArray(en) && !en.some((x) => JSON.stringify(x) === JSON.stringify(value))) {
    problems.push(`${at}: ${show(value)} is not one of the document's ${show(en)}`);
  }
  if (typeof value === "string") {
    const format = s["format"];
    if (format === "date-time" && !dateTimeRE.test(value)) {
      problems.push(`${at}: ${show(value)} is not the document's date-time`);
    }
    if (format === "date" && !dateRE.test(value)) {
      problems.push(`${at}: ${show(value)} is not the document's date`);
    }
    const maxLength = s["maxLength"];
    if (typeof maxLength === "number" && [...value].length > maxLength) {
      problems.push(`${at}: longer than the document's maxLength ${maxLength}`);
    }
    const minLength = s["minLength"];
    if (typeof minLength === "number" && [...value].length < minLength) {
      problems.push(`${at}: shorter than the document's minLength ${minLength}`);
    }
  }
  if (typeof value === "number") {
    const min = s["minimum"];
    if (typeof min === "number" && value < min) problems.push(`${at}: ${value} is below the document's minimum ${min}`);
    const max = s["maximum"];
    if (typeof max === "number" && value > max) problems.push(`${at}: ${value} is above the document's maximum ${max}`);
    const xmin = s["exclusiveMinimum"];
    if (typeof xmin === "number" && value <= xmin) problems.push(`${at}: ${value} is not above the document's exclusiveMinimum ${xmin}`);
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => check(s["items"], item, `${at}[${i}]`, problems));
  }
  if (isObj(value)) {
    const props = s["properties"];
    const required = s["required"];
    if (Array.isArray(required)) {
      for (const r of required) {
        if (typeof r === "string" && !(r in value)) {
          problems.push(`${at}.${r}: missing; the document requires it`);
        }
      }
    }
    const extra = s["additionalProperties"];
    for (const [key, v] of Object.entries(value)) {
      const sub = isObj(props) ? props[key] : undefined;
      if (sub !== undefined) {
        check(sub, v, `${at}.${key}`, problems);
      } else if (isObj(extra)) {
        check(extra, v, `${at}.${key}`, problems);
      } else if (extra === false || (extra === undefined && isObj(props))) {
        problems.push(`${at}.${key}: the server sent it (${show(v)}); the document does not name it`);
      }
    }
  }
}

// conformance checks each answer against the operation the client
// called: a declared status, a declared media type, a fitting body.
const conformance: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const method = request.method.toLowerCase();
    const where = `${request.method} ${schemaPath} → ${response.status}`;
    const operation = field(field(field(doc, "paths"), schemaPath), method);
    if (operation === undefined) {
      throw new Error(`${where}: the document has no such operation`);
    }
    const responses = field(operation, "responses");
    const declared = resolve(
      field(responses, String(response.status)) ??
        field(responses, `${Math.floor(response.status / 100)}XX`) ??
        field(responses, "default"),
    );
    const problems: string[] = [];
    if (declared === undefined) {
      problems.push(`status ${response.status} is not declared (the document has ${Object.keys(isObj(responses) ? responses : {}).join(", ")})`);
    }
    const mediaType = (response.headers.get("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
    const text = await response.clone().text();
    if (declared !== undefined && text !== "") {
      const content = field(declared, "content");
      const media = field(content, mediaType);
      if (media === undefined) {
        problems.push(`Content-Type ${mediaType} is not declared (the document has ${Object.keys(isObj(content) ? content : {}).join(", ") || "no body"})`);
      } else if (mediaType.endsWith("json")) {
        const body: unknown = JSON.parse(text);
        check(field(media, "schema"), body, "body", problems);
      }
    }
    if (problems.length > 0) {
      throw new Error(`${where}: the answer does not match the document:\n  - ${problems.join("\n  - ")}\n  body: ${text.slice(0, 2000)}`);
    }
    return undefined;
  },
};

// ok returns a call's data, or ends the run with the call's problem.
function ok<T>(what: string, r: { data?: T; error?: unknown; response: Response }): T {
  if (!r.response.ok || r.data === undefined) {
    throw new Error(`${what}: HTTP ${r.response.status}: ${JSON.stringify(r.error)}`);
  }
  console.log(`ok  ${what} → ${r.response.status}`);
  return r.data;
}

// refused checks that a call was refused with the status wanted (and,
// through the middleware, that the document declares it).
function refused(what: string, r: { error?: unknown; response: Response }, status: number): void {
  if (r.response.status !== status) {
    throw new Error(`${what}: HTTP ${r.response.status}, want ${status}: ${JSON.stringify(r.error)}`);
  }
  console.log(`ok  ${what} → ${status}, refused as it should be`);
}

// need is a value the API may leave out (an invitation's token is not
// given when it was mailed) but this journey relies on.
function need<T>(what: string, v: T | undefined): T {
  if (v === undefined) {
    throw new Error(`${what}: missing`);
  }
  return v;
}

function expect<T>(what: string, got: T, want: T): void {
  if (got !== want) {
    throw new Error(`${what}: got ${show(got)}, want ${show(want)}`);
  }
}

function client(headers: Record<string, string>) {
  const c = createClient<paths>({ baseUrl, headers });
  c.use(conformance);
  return c;
}

// ---- The journey.

const buyer = client({ Authorization: `Bearer ${token}` });
const anon = client({});

const me = ok("buyer: GET /api/v1/me", await buyer.GET("/api/v1/me"));
expect("buyer's role", me.role, "buyer");

const partner = ok(
  "buyer: POST /api/v1/partners",
  await buyer.POST("/api/v1/partners", {
    body: { code: `P-${orderNumber}`, name: "Journey Precision Parts", kind: "supplier", tier: 2, tags: ["journey"] },
  }),
);
expect("new partner's kind", partner.kind, "supplier");

const email = `${orderNumber.toLowerCase()}@journey.test`;
const contact = ok(
  "buyer: POST /api/v1/contacts",
  await buyer.POST("/api/v1/contacts", {
    body: { partner_id: partner.id, name: "Jia Journey", email, owner_id: me.id, language: "en" },
  }),
);
expect("contact's partner", contact.partner.id, partner.id);
expect("contact's owner", contact.owner.id, me.id);

const invitation = ok(
  "buyer: POST /api/v1/invitations",
  await buyer.POST("/api/v1/invitations", { body: { contact_id: contact.id } }),
);
expect("invitation's e-mail", invitation.email, email);

const password = "journey through the typed client";
const partnerUser = ok(
  "anonymous: POST /api/v1/invitations/accept",
  await anon.POST("/api/v1/invitations/accept", { body: { token: need("invitation's token (no mail configured)", invitation.token), name: "Jia Journey", password } }),
);
expect("partner user's partner", partnerUser.partner_id, partner.id);

const login = await anon.POST("/api/v1/auth/login", { body: { email, password } });
const session = ok("anonymous: POST /api/v1/auth/login", login);
expect("logged-in user", session.user.id, partnerUser.id);
// The session cookie, sent back by hand: fetch keeps no cookie jar.
const cookie = login.response.headers
  .getSetCookie()
  .map((c) => c.split(";")[0] ?? "")
  .find((c) => c.includes("tierlink_session="));
if (cookie === undefined) {
  throw new Error("POST /api/v1/auth/login set no session cookie");
}
const supplier = client({ Cookie: cookie, "X-CSRF-Token": session.csrf_token });

const draft = ok(
  "buyer: POST /api/v1/orders",
  await buyer.POST("/api/v1/orders", {
    body: {
      partner_id: partner.id,
      direction: "upstream",
      number: orderNumber,
      currency: "CNY",
      notes: "two lines, one to be re-dated",
      lines: [
        { item_code: "HX-220", description: "Housing", quantity: 1000, unit: "pcs", unit_price: 12.5, required_date: "2031-03-01" },
        { item_code: "HX-221", description: "Cover", quantity: 250.5, unit: "kg", unit_price: 3.1415, required_date: "2031-03-07" },
      ],
    },
  }),
);
expect("draft's status", draft.status, "draft");
expect("draft's lines", draft.lines.length, 2);

const published = ok(
  "buyer: POST /api/v1/orders/{id}/publish",
  await buyer.POST("/api/v1/orders/{id}/publish", { params: { path: { id: draft.id } } }),
);
expect("published order's status", published.status, "published");

const mine = ok("partner: GET /api/v1/orders", await supplier.GET("/api/v1/orders", { params: { query: { status: "published" } } }));
expect("orders the partner sees", mine.items.map((o) => o.id).join(","), String(draft.id));

type AckBody = NonNullable<paths["/api/v1/orders/{id}/acknowledgements"]["post"]["requestBody"]>["content"]["application/json"];
const answer: AckBody = {
  lines: [
    { line_no: 1, action: "accept" },
    { line_no: 2, action: "change", promised_date: promised, reason: "aluminium arrives late" },
  ],
};
refused(
  "partner without X-CSRF-Token: POST /api/v1/orders/{id}/acknowledgements",
  await client({ Cookie: cookie }).POST("/api/v1/orders/{id}/acknowledgements", { params: { path: { id: draft.id } }, body: answer }),
  403,
);
const acked = ok(
  "partner: POST /api/v1/orders/{id}/acknowledgements",
  await supplier.POST("/api/v1/orders/{id}/acknowledgements", {
    params: { path: { id: draft.id }, header: { "Idempotency-Key": `ack-${orderNumber}` } },
    body: answer,
  }),
);
expect("acknowledged order's status", acked.status, "changes_requested");
expect("line 1's answer", acked.lines[0]?.ack_state, "accepted");

const open = ok(
  "buyer: GET /api/v1/change-requests?state=open",
  await buyer.GET("/api/v1/change-requests", { params: { query: { state: "open" } } }),
);
const request = open.items.find((cr) => cr.order_id === draft.id);
if (request === undefined) {
  throw new Error(`no open change request for order ${draft.id} among ${show(open.items)}`);
}
const change = request.changes.find((c) => c.line_no === 2);
expect("requested date of line 2", change?.promised_date?.slice(0, 10), promised);

refused(
  "partner: POST /api/v1/change-requests/{id}/decision on its own request",
  await supplier.POST("/api/v1/change-requests/{id}/decision", { params: { path: { id: request.id } }, body: { decision: "approve" } }),
  403,
);
const decided = ok(
  "buyer: POST /api/v1/change-requests/{id}/decision",
  await buyer.POST("/api/v1/change-requests/{id}/decision", {
    params: { path: { id: request.id } },
    body: { decision: "approve", reason: "fine by planning" },
  }),
);

const order = ok(
  "buyer: GET /api/v1/orders/{id}",
  await buyer.GET("/api/v1/orders/{id}", { params: { path: { id: draft.id } } }),
);
const line2 = order.lines.find((l) => l.line_no === 2);
expect("line 2's promised date", line2?.promised_date?.slice(0, 10), promised);
expect("line 2's answer", line2?.ack_state, "accepted");
expect("order's status after approval, as the decision answered", order.status, decided.status);
expect("order's status after approval", order.status, "acknowledged");
expect("order's revision", order.revision, 2);
const approved = order.change_requests?.find((cr) => cr.id === request.id);
expect("change request's state", approved?.state, "approved");

console.log(
  JSON.stringify({ order_id: order.id, change_request_id: request.id, promised_date: line2?.promised_date, status: order.status }),
);
