// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      box.form.querySelectorAll('input[name="' + name + '"]').forEach(function (c) { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // Uploads send the file itself as the request body, so the server can
  // stream it to storage, and show progress while it goes.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var kind = form.querySelector("#upload-kind"), cert = form.querySelector("fieldset.cert");
    function toggle() { if (kind && cert) { cert.hidden = kind.value !== "certificate"; } }
    if (kind) { kind.addEventListener("change", toggle); toggle(); }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = form.querySelector("input[type=file]");
      var file = input && input.files[0];
      if (!file) { return; }
      // An import's problems are named "line 3: quantity"; the page
      // says "line" in its own language (data-line-label, "{line}" for
      // the number) and keeps the column's name, a code.
      var lineLabel = form.getAttribute("data-line-label");
      var where = function (field) {
        var m = /^line (\d+)(?:: (.*))?$/.exec(field);
        if (!m || !lineLabel) { return field; }
        return lineLabel.replace("{line}", m[1]) + (m[2] ? " " + m[2] : "");
      };
      var params = new URLSearchParams();
      form.querySelectorAll("[data-param]").forEach(function (el) {
        if (el.type === "checkbox" && !el.checked) { return; }
        if (el.value && !(el.closest("fieldset") && el.closest("fieldset").hidden)) { params.set(el.name, el.value); }
      });
      params.set("filename", file.name);
      var bar = form.querySelector("progress"), out = form.querySelector(".upload-status"), btn = form.querySelector("button");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload") + "?" + params.toString());
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
      bar.hidden = false; out.hidden = true; btn.disabled = true;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
      xhr.onload = function () {
        btn.disabled = false;
        if (xhr.status === 201) {
          var next = form.getAttribute("data-next");
          window.location.href = next || "/documents/" + JSON.parse(xhr.responseText).id + "?msg=uploaded";
          return;
        }
        var msg = xhr.status + " " + xhr.statusText;
        try {
          var p = JSON.parse(xhr.responseText);
          msg = p.detail + (p.errors ? ": " + p.errors.map(function (e) { return where(e.field) + " " + e.reason; }).join("; ") : "");
        } catch (e) { /* not problem+json */ }
        out.textContent = msg; out.hidden = false; bar.hidden = true;
      };
      xhr.onerror = function () { btn.disabled = false; out.textContent = form.getAttribute("data-network-error"); out.hidden = false; };
      xhr.send(file);
    });
  });
  document.querySelectorAll("[data-add-row]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var rows = btn.form.querySelectorAll(btn.getAttribute("data-add-row"));
      var last = rows[rows.length - 1], copy = last.cloneNode(true);
      // Rows are posted as lines[0].item_code, …: the copy takes the
      // next index, and keeps only the unit the page fills in.
      var n = rows.length;
      copy.querySelectorAll("input").forEach(function (i) {
        i.name = i.name.replace(/^(\w+)\[\d+\]/, "$1[" + n + "]");
        if (!/\.unit$/.test(i.name)) { i.value = ""; }
      });
      last.parentNode.appendChild(copy);
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // A group's feed: new posts and card changes arrive over Server-Sent
  // Events and are drawn from the page's own post template; card buttons
  // and the compose box post without leaving the page.
  var feed = document.getElementById("feed");
  if (feed) { liveFeed(feed); }
});

function liveFeed(feed) {
  var tpl = document.getElementById("post-tpl");
  var labels = JSON.parse(document.getElementById("feed-labels").textContent || "{}");
  var side = feed.getAttribute("data-side"), editor = feed.getAttribute("data-editor") === "true";
  var csrf = feed.getAttribute("data-csrf"), group = feed.getAttribute("data-group");
  // Times are drawn as the server draws them (timeHTML in render.go):
  // "2026-12-03 10:30 UTC+8" in the reader's zone, which the page names
  // in data-zone, never in the browser's own zone.
  var zone = feed.getAttribute("data-zone") || undefined;
  var clock = new Intl.DateTimeFormat("en-US", {timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"});
  // stamp is t as timeHTML writes it: the text ("2026-12-03 10:30
  // UTC+8") and the datetime attribute (RFC 3339 in the reader's zone).
  function stamp(t) {
    var d = new Date(t), v = {};
    clock.formatToParts(d).forEach(function (x) { v[x.type] = x.value; });
    var h = +v.hour % 24, p = function (n) { return n < 10 ? "0" + n : "" + n; };
    var wall = Date.UTC(+v.year, +v.month - 1, +v.day, h, +v.minute, +v.second);
    var off = Math.round((wall - Math.floor(d.getTime() / 1000) * 1000) / 60000), name = "UTC", rfc = "Z";
    if (off !== 0) {
      var sign = off < 0 ? "-" : "+", a = Math.abs(off);
      name = "UTC" + sign + Math.floor(a / 60) + (a % 60 ? ":" + p(a % 60) : "");
      rfc = sign + p(Math.floor(a / 60)) + ":" + p(a % 60);
    }
    var day = v.year + "-" + v.month + "-" + v.day;
    return {text: day + " " + p(h) + ":" + v.minute + " " + name, datetime: day + "T" + p(h) + ":" + v.minute + ":" + v.second + rfc};
  }
  function setTime(el, t) {
    el.textContent = "";
    if (!t) { return; }
    var s = stamp(t), tm = document.createElement("time");
    tm.className = "nw"; tm.setAttribute("datetime", s.datetime); tm.textContent = s.text;
    el.appendChild(tm);
  }
  function render(p) {
    var li = tpl.content.firstElementChild.cloneNode(true);
    li.id = "post-" + p.id;
    li.className = "post post-" + p.kind + " side-" + p.author_side;
    li.setAttribute("data-id", p.id); li.setAttribute("data-seq", p.seq);
    li.querySelector(".post-author").textContent = p.author;
    setTime(li.querySelector(".post-time"), p.created_at);
    li.querySelector(".post-body").textContent = p.body;
    var link = li.querySelector(".post-link");
    link.hidden = !p.link || !!p.card;
    if (p.link) { link.href = p.link; }
    var docs = li.querySelector(".post-docs");
    docs.textContent = "";
    (p.documents || []).forEach(function (d) {
      var a = document.createElement("a"), item = document.createElement("li");
      a.href = "/documents/" + d.id; a.textContent = "📎 " + d.title; item.appendChild(a); docs.appendChild(item);
    });
    var card = li.querySelector(".card");
    card.hidden = !p.card;
    if (p.card) {
      card.querySelector(".card-link").href = p.card.link;
      var changes = card.querySelector(".card-changes");
      changes.textContent = "";
      (p.card.changes || []).forEach(function (c) {
        var item = document.createElement("li"), code = document.createElement("code"), was = document.createElement("span"), now = document.createElement("strong");
        code.textContent = c.item_code; was.className = "nw"; was.textContent = c.old; now.className = "nw"; now.textContent = c.new;
        item.append((labels.chg_line || "") + " " + c.line_no + " ", code, ": " + (labels["chg_" + c.field] || c.field) + " ", was, " → ", now);
        if (c.reason) {
          var why = document.createElement("small");
          why.textContent = (labels.reason || "") + ": " + c.reason;
          item.append(document.createElement("br"), why);
        }
        changes.appendChild(item);
      });
      var done = card.querySelector(".card-done");
      done.hidden = p.card.state !== "done";
      card.querySelector(".card-outcome").textContent = labels["out_" + p.card.outcome] || p.card.outcome || "";
      card.querySelector(".card-actor").textContent = p.card.acted_by || "";
      setTime(card.querySelector(".card-time"), p.card.acted_at);
      var form = card.querySelector("form");
      form.action = "/cards/" + p.id + "/act";
      form.querySelectorAll("button").forEach(function (b) { b.remove(); });
      (p.card.actions || []).forEach(function (a) {
        if (!((a.side === "staff" && editor) || (a.side === "partner" && side === "partner"))) { return; }
        var b = document.createElement("button");
        b.type = "submit"; b.name = "action"; b.value = a.name; b.className = "card-button" + (a.name === "reject" ? " danger" : "");
        b.textContent = labels["a_" + a.name] || a.name;
        form.appendChild(b);
      });
    }
    return li;
  }
  function upsert(p) {
    var old = document.getElementById("post-" + p.id), li = render(p);
    if (old) {
      if (+old.getAttribute("data-seq") > p.seq) { return; }
      old.replaceWith(li);
    } else {
      // Posts stand in the order they were written (by id), not by
      // feed number: a card that changed later must not move below
      // posts written after it.
      var next = null;
      feed.querySelectorAll(":scope > .post").forEach(function (x) {
        if (!next && +x.getAttribute("data-id") > p.id) { next = x; }
      });
      feed.insertBefore(li, next);
      if (!next) { li.scrollIntoView({block: "nearest"}); }
    }
  }
  function problem(xhr) {
    try { var p = JSON.parse(xhr.responseText); return p.detail + (p.errors ? ": " + p.errors.map(function (e) { return e.field + " " + e.reason; }).join("; ") : ""); }
    catch (e) { return xhr.status + " " + xhr.statusText; }
  }
  function send(url, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.onload = function () { done(xhr); };
    xhr.onerror = function () { done(xhr); };
    xhr.send(JSON.stringify(body));
  }
  feed.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList.contains("card-actions") || !ev.submitter) { return; }
    ev.preventDefault();
    var li = form.closest(".post"), err = li.querySelector(".card-error");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    send("/api/v1/cards/" + li.getAttribute("data-id") + "/actions", {action: ev.submitter.value}, function (xhr) {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      if (xhr.status === 200) { upsert(JSON.parse(xhr.responseText).card); return; }
      err.textContent = problem(xhr); err.hidden = false;
    });
  });
  var compose = document.getElementById("compose");
  if (compose) {
    compose.querySelectorAll("button.mention").forEach(function (b) {
      b.addEventListener("click", function () {
        var t = compose.querySelector("textarea");
        t.value += (t.value && !/\s$/.test(t.value) ? " " : "") + "@" + b.getAttribute("data-name") + " ";
        t.focus();
      });
    });
    compose.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var t = compose.querySelector("textarea"), err = compose.querySelector(".compose-error"), sel = compose.querySelector("select[name=document_ids]");
      var body = {body: t.value, document_ids: sel ? Array.from(sel.selectedOptions).map(function (o) { return +o.value; }) : []};
      send(compose.getAttribute("data-api"), body, function (xhr) {
        if (xhr.status === 201) { t.value = ""; err.hidden = true; upsert(JSON.parse(xhr.responseText)); return; }
        err.textContent = problem(xhr); err.hidden = false;
      });
    });
  }
  // Older posts are history: only the live end of the feed follows it.
  if (!window.EventSource || feed.hasAttribute("data-archive")) { return; }
  var status = document.getElementById("live-status");
  var es = new EventSource("/api/v1/groups/" + group + "/stream?after=" + feed.getAttribute("data-after"));
  es.addEventListener("post", function (e) { upsert(JSON.parse(e.data)); });
  es.onopen = function () { status.hidden = true; feed.setAttribute("data-live", "true"); };
  es.onerror = function () { status.hidden = false; };
}
