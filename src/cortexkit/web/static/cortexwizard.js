// The Cortex wizard's live preflight: posts the form to /api/cortex/preflight (the job's own read-only
// checks, nothing created) on Check and, once the tenant and name are filled in, on any change; shows each
// check with its fix. The server never sends the secret back; the form works without this file.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var URL_RE = /(https:\/\/[^\s<>]*[^\s<>.,;)])/;

  // Text with its https links made clickable (the admin-consent link in the tenant check's fix); a link
  // still holding a placeholder ("client_id=<Cortex application id ...>") stays text, it would not work.
  function linked(el, text) {
    var parts = text.split(URL_RE);
    parts.forEach(function (part, i) {
      if (i % 2 === 1 && (parts[i + 1] || "").charAt(0) !== "<") {
        var a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener noreferrer";
        el.appendChild(a);
      } else if (part) { el.appendChild(document.createTextNode(part)); }
    });
  }

  function verdict(ok) { return ok === true ? "pass" : (ok === false ? "fail" : "unknown"); }

  function showErrors(form, errors) {
    $all("[data-error-for]", form).forEach(function (slot) {
      var msg = errors[slot.getAttribute("data-error-for")] || "";
      slot.textContent = msg;
      var field = slot.closest(".field");
      if (field) { field.classList.toggle("invalid", !!msg); }
    });
  }

  function showChecks(table, checks) {
    var body = $("tbody", table);
    body.textContent = "";
    checks.forEach(function (c) {
      var v = verdict(c.ok);
      var tr = document.createElement("tr");
      tr.setAttribute("data-check", c.name);
      tr.setAttribute("data-ok", v);
      var name = document.createElement("td"); name.textContent = c.name; tr.appendChild(name);
      var result = document.createElement("td");
      var badge = document.createElement("span");
      badge.className = "badge " + (v === "pass" ? "done" : (v === "fail" ? "error" : "unknown"));
      badge.textContent = v;
      result.appendChild(badge); tr.appendChild(result);
      var detail = document.createElement("td");
      linked(detail, c.detail || "");
      if (c.fix && v !== "pass") {
        detail.appendChild(document.createElement("br"));
        var strong = document.createElement("strong"); strong.textContent = "Fix: "; detail.appendChild(strong);
        var fix = document.createElement("span"); fix.setAttribute("data-fix", ""); linked(fix, c.fix);
        detail.appendChild(fix);
      }
      tr.appendChild(detail);
      body.appendChild(tr);
    });
    table.hidden = checks.length === 0;
  }

  function summary(data) {
    var failed = data.failed || 0;
    var unknown = data.checks.filter(function (c) { return c.ok === null || c.ok === undefined; }).length;
    var text = failed
      ? failed + " check" + (failed === 1 ? "" : "s") + " failed: fix " + (failed === 1 ? "it" : "them") + " before starting."
      : "No check failed" + (unknown ? " (" + unknown + " could not be told; see their notes)." : ".");
    return data.message ? text + " " + data.message : text;
  }

  function init() {
    var form = $("#cortex-wizard");
    var button = $("#cortex-check");
    if (!form || !button) { return; }
    var status = $("#preflight-status");
    var table = $("#preflight-checks");
    var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var latest = 0;

    function say(text, kind) {
      status.textContent = text;
      status.setAttribute("data-kind", kind);
    }

    function check() {
      var mine = ++latest;
      say("Checking…", "busy");
      form.setAttribute("aria-busy", "true");
      fetch("/api/cortex/preflight", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
        body: new URLSearchParams(new FormData(form))
      }).then(function (r) {
        return r.json().then(function (data) { return { status: r.status, data: data }; });
      }).then(function (res) {
        if (mine !== latest) { return; }
        var data = res.data;
        if (res.status === 422) {
          showErrors(form, data.errors || {});
          showChecks(table, []);
          say("Fix the marked fields first; nothing was checked.", "error");
        } else if (res.status !== 200) {
          say("Could not check: " + (data.message || "the UI refused the request") + (data.action ? " " + data.action : ""), "error");
        } else if (!data.checked) {
          showErrors(form, {});
          showChecks(table, []);
          say(data.message, "error");
        } else {
          showErrors(form, {});
          showChecks(table, data.checks);
          say(summary(data), data.failed ? "fail" : "pass");
        }
      }).catch(function () {
        if (mine === latest) { say("Could not check: the UI did not answer. Is `cortexkit ui` still running?", "error"); }
      }).then(function () {
        if (mine === latest) { form.removeAttribute("aria-busy"); }
      });
    }

    var timer = null;
    button.addEventListener("click", function () { clearTimeout(timer); check(); });
    form.addEventListener("change", function () {
      var tenant = form.elements.namedItem("tenant_id");
      var name = form.elements.namedItem("name");
      if (!tenant || !name || !tenant.value.trim() || !name.value.trim()) { return; }
      clearTimeout(timer);
      timer = setTimeout(check, 700);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
