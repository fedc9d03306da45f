// Quick order: SKU suggestions (a datalist filled from /shop/quick-order/skus.json) and
// "More rows" without a round trip. Works without script: the server adds rows then.
(function () {
  "use strict";
  var form = document.querySelector("form.quick-order");
  if (!form) return;
  var list = document.getElementById("sku-suggestions");
  var url = form.getAttribute("data-suggest");
  var timer = null;
  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("sku-input")) return;
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { products: [] }; })
        .then(function (data) {
          list.textContent = "";
          data.products.forEach(function (p) {
            var option = document.createElement("option");
            option.value = p.sku;
            option.label = p.name;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 200);
  });
  var more = form.querySelector("[data-more-rows]");
  var rowsField = form.querySelector("input[name=rows]");
  if (more) {
    more.addEventListener("click", function (event) {
      event.preventDefault();
      var body = form.querySelector("tbody");
      var rows = body.querySelectorAll("tr");
      var last = rows[rows.length - 1];
      var start = rows.length;
      for (var i = 0; i < 10; i++) {
        var copy = last.cloneNode(true);
        var index = start + i;
        copy.className = "quick-order-row";
        copy.cells[0].textContent = String(index + 1);
        copy.cells[3].textContent = "";
        copy.cells[3].id = "result-" + index;
        copy.querySelectorAll("input").forEach(function (input) {
          var kind = input.name.split("-")[0];
          input.name = kind + "-" + index;
          input.id = kind + "-" + index;
          input.value = "";
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        });
        copy.querySelectorAll("label").forEach(function (label) {
          var kind = label.htmlFor.split("-")[0];
          label.htmlFor = kind + "-" + index;
          label.textContent = label.textContent.replace(/\d+$/, String(index + 1));
        });
        body.appendChild(copy);
      }
      rowsField.value = String(start + 10);
      body.querySelectorAll("tr")[start].querySelector("input").focus();
    });
  }
})();
