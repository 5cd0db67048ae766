// The referral form's "add another trial" button: copies the empty row Django rendered in a
// <template> and bumps the formset's TOTAL_FORMS. No inline code (strict CSP).
(function () {
  "use strict";
  function addRow(button) {
    var prefix = button.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById("trial-template");
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { button.disabled = true; return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var body = document.getElementById("trial-rows");
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = body.querySelector('[name="' + prefix + "-" + index + '-drug"]');
    if (first) { first.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("add-trial");
    if (button) { button.addEventListener("click", function () { addRow(button); }); }
  });
})();
