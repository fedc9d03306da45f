// Autocomplete for the header search box: an accessible combobox (arrow keys, Enter, Escape)
// over the search page's suggest/ endpoint. No dependencies.
(function () {
  "use strict";
  var input = document.getElementById("site-search-q");
  var list = document.getElementById("site-search-suggestions");
  if (!input || !list || !window.fetch) return;
  var url = input.getAttribute("data-suggest-url");
  var timer = null, active = -1, options = [], lastQuery = "", controller = null;

  function close() {
    list.hidden = true; list.innerHTML = ""; options = []; active = -1;
    input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
  }
  function select(index) {
    options.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", options[index].id);
  }
  function add(entry, text, sku) {
    var li = document.createElement("li");
    li.setAttribute("role", "option"); li.id = "site-search-option-" + options.length;
    if (sku) { var s = document.createElement("span"); s.className = "sku"; s.textContent = sku; li.appendChild(s); }
    li.appendChild(document.createTextNode(text));
    li.addEventListener("mousedown", function (event) { event.preventDefault(); window.location.href = entry.url; });
    li.dataset.url = entry.url;
    list.appendChild(li); options.push(li);
  }
  function group(title) {
    var li = document.createElement("li"); li.className = "group"; li.setAttribute("role", "presentation");
    li.textContent = title; list.appendChild(li);
  }
  function render(data) {
    list.innerHTML = ""; options = []; active = -1;
    var names = {products: input.form.getAttribute("data-products-label") || "Products",
                 categories: input.form.getAttribute("data-categories-label") || "Categories",
                 articles: input.form.getAttribute("data-articles-label") || "Articles"};
    if (data.products.length) { group(names.products); data.products.forEach(function (p) { add(p, p.name, p.sku); }); }
    if (data.categories.length) { group(names.categories); data.categories.forEach(function (c) { add(c, c.name); }); }
    if (data.articles.length) { group(names.articles); data.articles.forEach(function (a) { add(a, a.title); }); }
    var open = options.length > 0;
    list.hidden = !open; input.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function lookup() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    if (q === lastQuery) return;
    lastQuery = q;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(q), {signal: controller ? controller.signal : undefined,
                                                headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && input.value.trim() === q) render(data); })
      .catch(function () {});
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 120); });
  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); select(Math.min(active + 1, options.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); select(Math.max(active - 1, 0)); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); window.location.href = options[active].dataset.url; }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();
