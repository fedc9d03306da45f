// The header's cart count, fetched per visitor (catalog pages stay in the shared cache).
(function () {
  "use strict";
  var badge = document.querySelector("[data-cart-count]");
  if (!badge) return;
  fetch(badge.getAttribute("data-cart-count"), { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data && data.count) { badge.textContent = String(data.count); badge.hidden = false; } })
    .catch(function () {});
})();
