/* Magpie segments: the rule builder and live count of Customers → Segments. No dependencies.
 *
 * The widget template renders the rules JSON text area inside [data-magpie-segment-editor]
 * with the builder's spec (fields, operators, labels) in <script id="magpie-segment-spec">.
 * The builder edits a copy of the rules and writes them back into the text area as JSON;
 * editing the JSON by hand re-draws the builder. Each change asks the count endpoint
 * (POST {"site": id, "rules": {...}}, CSRF header) for the number of matching contacts,
 * debounced, and shows it in a polite live region.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (attrs[key] !== undefined && attrs[key] !== null) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  var uid = 0;
  function labelled(labelText, control) {
    uid += 1;
    control.id = "magpie-seg-" + uid;
    return el("span", { class: "magpie-segment-part" }, [
      el("label", { for: control.id, class: "w-sr-only", text: labelText }),
      control,
    ]);
  }

  function select(options, value) {
    var node = el("select");
    options.forEach(function (option) {
      var item = el("option", { value: option[0], text: option[1] });
      if (String(option[0]) === String(value)) item.selected = true;
      node.appendChild(item);
    });
    return node;
  }

  function init(root) {
    var spec = JSON.parse(document.getElementById("magpie-segment-spec").textContent);
    var text = spec.text;
    var textarea = document.getElementById(root.getAttribute("data-rules-id"));
    var builder = root.querySelector("[data-builder]");
    var status = root.querySelector("[data-count]");
    var details = root.querySelector("[data-json]");
    var form = root.closest("form");
    var siteSelect = form ? form.querySelector("select[name='site']") : null;
    var fields = {};
    spec.fields.forEach(function (field) {
      fields[field.name] = field;
    });
    var rules = { match: "all", conditions: [] };
    var timer = null;
    var sequence = 0;

    function parse() {
      try {
        var value = JSON.parse(textarea.value || "{}");
        if (!value || typeof value !== "object" || Array.isArray(value)) return null;
        value.match = value.match || "all";
        value.conditions = Array.isArray(value.conditions) ? value.conditions : [];
        return value;
      } catch (error) {
        return null;
      }
    }

    function write() {
      textarea.value = JSON.stringify(rules, null, 2);
      scheduleCount();
    }

    function valueInput(field, condition) {
      var value = condition.value;
      if (condition.op === "is_empty") {
        var yesNo = select([["true", text.yes], ["false", text.no]], value === false ? "false" : "true");
        yesNo.addEventListener("change", function () {
          condition.value = yesNo.value === "true";
          write();
        });
        return yesNo;
      }
      if (field.choices.length && condition.op !== "in") {
        var choice = select(field.choices.map(function (c) { return [c, c]; }), value);
        if (value === undefined) condition.value = field.choices[0];
        choice.addEventListener("change", function () {
          condition.value = choice.value;
          write();
        });
        return choice;
      }
      var numeric = field.kind === "number" || field.kind === "score" || field.kind === "user" ||
        condition.op === "within_days" || condition.op === "before_days";
      var shown = Array.isArray(value) ? value.join(", ") : value === undefined ? "" : String(value);
      var input = el("input", {
        type: field.kind === "date" && !numeric ? "date" : "text",
        value: shown,
        inputmode: numeric ? "numeric" : null,
      });
      input.addEventListener("input", function () {
        var raw = input.value;
        function convert(item) {
          item = item.trim();
          return numeric && /^-?\d+$/.test(item) ? parseInt(item, 10) : item;
        }
        condition.value = condition.op === "in"
          ? raw.split(",").map(convert).filter(function (item) { return item !== ""; })
          : convert(raw);
        write();
      });
      return input;
    }

    function fieldRow(condition, index) {
      var field = fields[condition.field] || spec.fields[0];
      var fieldSelect = select(spec.fields.map(function (f) { return [f.name, f.label]; }), field.name);
      fieldSelect.addEventListener("change", function () {
        var next = fields[fieldSelect.value];
        rules.conditions[index] = { field: next.name, op: next.ops[0].op };
        draw();
        write();
      });
      var opSelect = select(field.ops.map(function (o) { return [o.op, o.label]; }), condition.op);
      opSelect.addEventListener("change", function () {
        condition.op = opSelect.value;
        delete condition.value;
        draw();
        write();
      });
      return [
        labelled(text.field, fieldSelect),
        labelled(text.op, opSelect),
        labelled(text.value, valueInput(field, condition)),
      ];
    }

    function touchpointRow(condition) {
      var tp = condition.touchpoints;
      var parts = [];
      var negate = select([["false", text.did], ["true", text.didNot]], tp.negate ? "true" : "false");
      negate.addEventListener("change", function () {
        if (negate.value === "true") tp.negate = true;
        else delete tp.negate;
        write();
      });
      parts.push(labelled(text.did + " / " + text.didNot, negate));
      var types = spec.touchpointTypes.slice();
      if (tp.type && types.indexOf(tp.type) < 0) types.push(tp.type);
      var type = select(types.map(function (t) { return [t, t]; }), tp.type);
      if (!tp.type) tp.type = types[0];
      type.addEventListener("change", function () {
        tp.type = type.value;
        write();
      });
      parts.push(labelled(text.type, type));
      [["within_days", text.withinDays, true], ["min_count", text.minCount, true],
       ["path_prefix", text.pathPrefix, false], ["campaign", text.campaign, true]].forEach(function (item) {
        var key = item[0];
        var input = el("input", {
          type: "text",
          value: tp[key] === undefined ? "" : String(tp[key]),
          inputmode: item[2] ? "numeric" : null,
          size: item[2] ? 6 : 16,
        });
        input.addEventListener("input", function () {
          var raw = input.value.trim();
          if (raw === "") delete tp[key];
          else tp[key] = item[2] && /^\d+$/.test(raw) ? parseInt(raw, 10) : raw;
          write();
        });
        parts.push(el("span", { class: "magpie-segment-part" }, [
          el("label", { text: item[1] + " " }),
        ]));
        uid += 1;
        input.id = "magpie-seg-" + uid;
        parts[parts.length - 1].firstChild.setAttribute("for", input.id);
        parts[parts.length - 1].appendChild(input);
      });
      var channel = select([["", text.anyValue]].concat(spec.channels.map(function (c) { return [c, c]; })), tp.channel || "");
      channel.addEventListener("change", function () {
        if (channel.value) tp.channel = channel.value;
        else delete tp.channel;
        write();
      });
      parts.push(el("span", { class: "magpie-segment-part" }, [el("label", { text: text.channel + " " })]));
      uid += 1;
      channel.id = "magpie-seg-" + uid;
      parts[parts.length - 1].firstChild.setAttribute("for", channel.id);
      parts[parts.length - 1].appendChild(channel);
      return parts;
    }

    function draw() {
      builder.textContent = "";
      var match = select([["all", text.all], ["any", text.any]], rules.match);
      match.addEventListener("change", function () {
        rules.match = match.value;
        write();
      });
      builder.appendChild(el("p", {}, [el("span", { text: text.match + " " }), labelled(text.match, match)]));
      var list = el("ol", { class: "magpie-segment-conditions" });
      rules.conditions.forEach(function (condition, index) {
        var parts = condition && condition.touchpoints ? touchpointRow(condition) : fieldRow(condition, index);
        var remove = el("button", { type: "button", class: "button button-small button-secondary", text: text.remove });
        remove.addEventListener("click", function () {
          rules.conditions.splice(index, 1);
          draw();
          write();
        });
        list.appendChild(el("li", { class: "magpie-segment-condition" }, parts.concat([remove])));
      });
      builder.appendChild(list);
      var addField = el("button", { type: "button", class: "button button-small", text: text.addField });
      addField.addEventListener("click", function () {
        var first = spec.fields[0];
        rules.conditions.push({ field: first.name, op: first.ops[0].op });
        draw();
        write();
      });
      var addTouchpoints = el("button", { type: "button", class: "button button-small", text: text.addTouchpoints });
      addTouchpoints.addEventListener("click", function () {
        rules.conditions.push({ touchpoints: { type: spec.touchpointTypes[0] || "page_view", within_days: 30 } });
        draw();
        write();
      });
      builder.appendChild(el("p", {}, [addField, document.createTextNode(" "), addTouchpoints]));
    }

    function show(message) {
      status.textContent = message;
    }

    function count() {
      var current = parse();
      if (!current) {
        show(text.badJson);
        return;
      }
      if (!siteSelect || !siteSelect.value) {
        show(text.chooseSite);
        return;
      }
      var token = form.querySelector("input[name='csrfmiddlewaretoken']");
      sequence += 1;
      var mine = sequence;
      show(text.counting);
      fetch(root.getAttribute("data-count-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify({ site: siteSelect.value, rules: current }),
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          if (mine !== sequence) return;
          if (typeof data.count === "number") {
            show(data.count === 1 ? text.countOne
              : text.count.replace("%(count)s", data.count.toLocaleString()));
          } else {
            show(data.error || text.failed);
          }
        })
        .catch(function () {
          if (mine === sequence) show(text.failed);
        });
    }

    function scheduleCount() {
      clearTimeout(timer);
      timer = setTimeout(count, 400);
    }

    var initial = parse();
    if (initial) {
      rules = initial;
      if (details && !root.querySelector(".error-message")) details.open = false;
    }
    builder.hidden = false;
    draw();
    textarea.addEventListener("input", function () {
      var parsed = parse();
      if (parsed) {
        rules = parsed;
        draw();
      }
      scheduleCount();
    });
    if (siteSelect) siteSelect.addEventListener("change", scheduleCount);
    count();
  }

  function start() {
    document.querySelectorAll("[data-magpie-segment-editor]").forEach(init);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
