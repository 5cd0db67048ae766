// The diagnosis look-up: a text box that suggests ICD-10 codes for what is typed, a code ("F33") or words
// ("major depression"). An ARIA combobox with a listbox of suggestions: arrow keys move, Enter or a click
// chooses, Escape closes; the count of suggestions is announced. Without this script the box keeps its
// <datalist>, and the server turns words into a code on sending (referrals/icd10.py). No inline code (strict CSP).
(function () {
  "use strict";

  function enhance(input) {
    var url = input.getAttribute("data-icd10-url");
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var wrap = document.createElement("div");
    var active = -1, timer = null, shownFor = null;

    list.id = listId;
    list.className = "combo-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Matching ICD-10 codes");
    list.hidden = true;
    status.className = "sr-only";
    status.setAttribute("role", "status");
    wrap.className = "combo";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(status);
    input.removeAttribute("list");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!options().length) { close(); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      for (var i = 0; i < opts.length; i++) { opts[i].setAttribute("aria-selected", i === active ? "true" : "false"); }
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.getAttribute("data-code");
      var description = document.getElementsByName(input.name.replace(/-code$/, "-description"))[0];
      if (description && !description.value.trim()) { description.value = option.getAttribute("data-description"); }
      shownFor = input.value;
      close();
    }

    function show(codes) {
      list.textContent = "";
      codes.forEach(function (item, i) {
        var option = document.createElement("li");
        var code = document.createElement("span");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-code", item.code);
        option.setAttribute("data-description", item.description);
        code.className = "combo-code";
        code.textContent = item.code;
        option.appendChild(code);
        option.appendChild(document.createTextNode(" " + item.description));
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
        list.appendChild(option);
      });
      status.textContent = codes.length
        ? codes.length + (codes.length === 1 ? " code fits" : " codes fit") + "; use the arrow keys to choose."
        : "No code fits these words.";
      open();
    }

    function lookup() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      if (q === shownFor) { open(); return; }
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { codes: [] }; })
        .then(function (data) {
          if (input.value.trim() !== q) { return; }
          shownFor = q;
          show(data.codes);
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { lookup(); return; }
        highlight(event.key === "ArrowDown" ? active + 1 : active - 1);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-icd10-url]");
    for (var i = 0; i < inputs.length; i++) { enhance(inputs[i]); }
  });
})();
