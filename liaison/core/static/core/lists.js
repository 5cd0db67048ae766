// A list's "select every row" box ticks or clears each row's box of the same bulk form, and follows them: ticked when
// all are, mixed when some are. The bulk bar says how many rows are selected.
(function () {
  function boxes(formId) {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="' + formId + '"]'));
  }
  function update(formId) {
    var all = boxes(formId);
    var ticked = all.filter(function (b) { return b.checked; }).length;
    document.querySelectorAll('.select-all[data-form="' + formId + '"]').forEach(function (head) {
      head.checked = all.length > 0 && ticked === all.length;
      head.indeterminate = ticked > 0 && ticked < all.length;
    });
    var count = document.querySelector('[data-selected-count="' + formId + '"]');
    if (count) count.textContent = ticked === 1 ? "1 row selected" : ticked + " rows selected";
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("select-all")) {
      var formId = target.getAttribute("data-form");
      boxes(formId).forEach(function (b) { b.checked = target.checked; });
      update(formId);
    } else if (target.name === "ids" && target.getAttribute("form")) {
      update(target.getAttribute("form"));
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll(".select-all").forEach(function (head) { update(head.getAttribute("data-form")); });
  });
})();
