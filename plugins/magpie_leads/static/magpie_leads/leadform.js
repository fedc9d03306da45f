/* Lead forms: UTM tags kept from the landing, a one-time token, progressive profiling and
 * inline, accessible errors. Without this script the form still posts and the server
 * answers with a page. */
(function () {
  "use strict";
  if (window.magpieLeadForms) return;
  window.magpieLeadForms = true;

  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var KEY = "magpie_leads_utm";

  function storedUtm() {
    var found = {};
    try {
      found = JSON.parse(window.sessionStorage.getItem(KEY) || "{}") || {};
    } catch (e) {
      found = {};
    }
    var params = new URLSearchParams(window.location.search);
    var fresh = {};
    var any = false;
    UTM.forEach(function (name) {
      var value = params.get(name);
      if (value) {
        fresh[name] = value.slice(0, 100);
        any = true;
      }
    });
    if (any) {
      found = fresh; // a new campaign landing replaces the old tags
      try {
        window.sessionStorage.setItem(KEY, JSON.stringify(found));
      } catch (e) {
        /* storage may be off: the tags of this page still count */
      }
    }
    return found;
  }

  function newToken() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function setHidden(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) input.value = value || "";
  }

  function fieldBox(form, name) {
    return form.querySelector('[data-field="' + name + '"]');
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) {
      p.textContent = "";
      p.hidden = true;
    });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  function status(form, text) {
    var region = form.querySelector("[data-lead-form-status]");
    if (!region) return;
    region.textContent = "";
    if (text) {
      var p = document.createElement("p");
      p.className = "form-error";
      p.textContent = text;
      region.appendChild(p);
    }
  }

  function showErrors(form, errors) {
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var messages = errors[name].join(" ");
      var holder = form.querySelector('[data-error-for="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (holder && input) {
        holder.textContent = messages;
        holder.hidden = false;
        input.setAttribute("aria-invalid", "true");
        var described = (input.getAttribute("aria-describedby") || "").split(" ");
        if (described.indexOf(holder.id) < 0) described.push(holder.id);
        input.setAttribute("aria-describedby", described.join(" ").trim());
        if (!first) first = input;
      } else {
        status(form, messages);
      }
    });
    if (first) {
      status(form, form.getAttribute("data-error-text") || "");
      first.focus();
    }
  }

  function profile(form) {
    if (!form.hasAttribute("data-progressive")) return;
    var url = form.getAttribute("data-profile-url");
    if (!url || !window.fetch) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (!data || !data.known || !Array.isArray(data.ask)) return;
        form.querySelectorAll("[data-field]").forEach(function (box) {
          var name = box.getAttribute("data-field");
          if (name === "email" || name === "consent") return;
          if (data.ask.indexOf(name) >= 0) return;
          box.hidden = true;
          box.querySelectorAll("input, select, textarea").forEach(function (el) {
            el.required = false;
            el.disabled = true; // not sent: an answer already known is not asked again
          });
        });
      })
      .catch(function () {
        /* everything stays visible */
      });
  }

  function setup(form) {
    var utm = storedUtm();
    UTM.forEach(function (name) {
      setHidden(form, name, utm[name]);
    });
    setHidden(form, "page", window.location.pathname + window.location.search);
    setHidden(form, "token", newToken());
    profile(form);
    form.addEventListener("submit", function (event) {
      if (!window.fetch) return;
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      clearErrors(form);
      status(form, "");
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(new FormData(form)).toString(),
      })
        .then(function (r) {
          return r.json().catch(function () {
            return { ok: false, message: r.statusText };
          });
        })
        .then(function (data) {
          if (data.ok && data.redirect) {
            setHidden(form, "token", newToken());
            window.location.assign(data.redirect);
            return;
          }
          if (data.errors) showErrors(form, data.errors);
          else status(form, data.message || "");
          if (button) button.disabled = false;
        })
        .catch(function () {
          if (button) button.disabled = false;
          form.submit(); // let the server answer with a page
        });
    });
  }

  function init() {
    document.querySelectorAll("form[data-lead-form]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
