/* Magpie journey: client events for the customer journey. No dependencies.
 *
 *   <script src="{% static 'magpie/journey.js' %}" defer></script>
 *   window.magpie.track("cta_click", {label: "Offerte"});
 *
 * Events go to POST /journey/events/ (same origin). The server records them only when the
 * visitor may be tracked (consent); otherwise it answers 204 and stores nothing.
 * Clicks on links to /documents/ are sent as "download" events.
 */
(function () {
  "use strict";
  var ENDPOINT = "/journey/events/";
  var magpie = (window.magpie = window.magpie || {});

  function send(body) {
    try {
      if (navigator.sendBeacon) {
        var blob = new Blob([body], { type: "application/json" });
        if (navigator.sendBeacon(ENDPOINT, blob)) return true;
      }
      if (window.fetch) {
        fetch(ENDPOINT, {
          method: "POST",
          body: body,
          keepalive: true,
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
        }).catch(function () {});
        return true;
      }
    } catch (e) {
      /* tracking never breaks the page */
    }
    return false;
  }

  magpie.track = function (type, data) {
    var body = JSON.stringify({
      type: String(type),
      path: location.pathname + location.search,
      referrer: document.referrer || "",
      data: data && typeof data === "object" ? data : {},
    });
    if (body.length > 4096) return false;
    return send(body);
  };

  document.addEventListener(
    "click",
    function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
      if (!link) return;
      var url;
      try {
        url = new URL(link.href, location.href);
      } catch (e) {
        return;
      }
      if (url.origin === location.origin && url.pathname.indexOf("/documents/") === 0) {
        magpie.track("download", { url: url.pathname.slice(0, 300) });
      }
    },
    true
  );
})();
