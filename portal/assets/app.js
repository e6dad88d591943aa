// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      box.form.querySelectorAll('input[name="' + name + '"]').forEach(function (c) { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
});
