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
          msg = p.detail + (p.errors ? ": " + p.errors.map(function (e) { return e.field + " " + e.reason; }).join("; ") : "");
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
      copy.querySelectorAll("input").forEach(function (i) { if (i.name !== "unit") { i.value = ""; } });
      last.parentNode.appendChild(copy);
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
});
