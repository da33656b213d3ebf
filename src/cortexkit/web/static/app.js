// cortexkit web UI: plain JavaScript, no build step, no third-party code.
// Every page works without it; this file adds live validation, live job updates and instant filters.
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  // Job and step states are the engine's words: the JSON says what a state allows (finished,
  // can_resume, can_cancel) and the stream's end frame carries its sentence, so no state is defined here.

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = csrf;
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error((data.message || "Request failed") + (data.action ? " " + data.action : "")); }
        return data;
      });
    });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); var args = arguments; t = setTimeout(function () { fn.apply(null, args); }, ms); };
  }

  // ---------- wizard ----------
  function formData(form) {
    var data = {};
    $all("input, select, textarea", form).forEach(function (el) {
      if (el.type === "password" && el.name && !el.closest("[hidden]")) { data["has_" + el.name] = !!el.value; return; }
      if (!el.name || el.disabled || el.type === "password" || el.type === "hidden" || el.closest("[hidden]")) { return; }
      if (el.type === "checkbox") {
        if (el.name === "account_group_ids" || el.name === "features") {
          data[el.name] = data[el.name] || [];
          if (el.checked) { data[el.name].push(el.value); }
        } else { data[el.name] = el.checked; }
      } else if (el.type === "radio") {
        if (el.checked) { data[el.name] = el.value; }
      } else { data[el.name] = el.value; }
    });
    return data;
  }

  function showErrors(form, errors, touched, all) {
    $all("[data-error-for]", form).forEach(function (slot) {
      var name = slot.getAttribute("data-error-for");
      var msg = (all || touched[name]) ? (errors[name] || "") : "";
      slot.textContent = msg;
      var field = slot.closest(".field");
      if (field) { field.classList.toggle("invalid", !!msg); }
      var input = form.querySelector('[name="' + name + '"]');
      if (input) { if (msg) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); } }
    });
  }

  function toggleSections(form) {
    var data = formData(form);
    var tenant = data.account_type === "tenant";
    $all(".only-account", form).forEach(function (el) { el.hidden = tenant; });
    $all(".only-tenant", form).forEach(function (el) { el.hidden = !tenant; });
    $all(".only-existing", form).forEach(function (el) { el.hidden = data.provisioner !== "existing"; });
    $all(".only-azure-api", form).forEach(function (el) { el.hidden = data.provisioner !== "azure-api"; });
    $all(".needs-client, .needs-secret", form).forEach(function (el) { el.hidden = data.provisioner === "terraform"; });
  }

  function reloadFeatures(form) {
    var box = $("#features", form);
    if (!box) { return; }
    var data = formData(form);
    var chosen = {};
    (data.features || []).forEach(function (f) { chosen[f] = true; });
    var q = "?account_type=" + encodeURIComponent(data.account_type || "account") +
      "&environment=" + encodeURIComponent(data.environment || "azure") +
      "&root_sync=" + (data.account_type === "tenant" && data.root_sync_enabled ? "true" : "false") +
      "&profile=" + encodeURIComponent(data.profile || "");
    api("GET", "/api/features" + q).then(function (res) {
      box.textContent = "";
      var names = res.features.filter(function (n) { return n === res.always_on; })
        .concat(res.features.filter(function (n) { return n !== res.always_on; }));
      names.forEach(function (name) {
        var label = document.createElement("label");
        label.className = "check";
        var input = document.createElement("input");
        input.type = "checkbox";
        if (name === res.always_on) { input.checked = true; input.disabled = true; }
        else { input.name = "features"; input.value = name; input.checked = !!chosen[name]; }
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + name));
        if (name === res.always_on) {
          var tag = document.createElement("span"); tag.className = "tag"; tag.textContent = "always on";
          label.appendChild(document.createTextNode(" ")); label.appendChild(tag);
        }
        box.appendChild(label);
      });
    }).catch(function (err) { box.textContent = err.message; });
  }

  function initWizard() {
    var form = $("#wizard");
    if (!form) { return; }
    var touched = {};
    var state = $("#validation-state");
    var serverErrors = $all("[data-error-for]", form).some(function (el) { return el.textContent.trim() !== ""; });
    var validate = debounce(function (all) {
      api("POST", "/api/validate", formData(form)).then(function (res) {
        showErrors(form, res.errors, touched, all || serverErrors);
        var n = Object.keys(res.errors).length;
        state.textContent = n ? n + " field" + (n === 1 ? "" : "s") + " to fix" : "Ready to start";
      }).catch(function (err) { state.textContent = err.message; });
    }, 200);
    form.addEventListener("input", function (ev) {
      if (ev.target.name) { touched[ev.target.name] = true; }
      toggleSections(form);
      validate(false);
    });
    form.addEventListener("change", function (ev) {
      if (ev.target.name) { touched[ev.target.name] = true; }
      toggleSections(form);
      if (["account_type", "environment", "profile", "root_sync_enabled"].indexOf(ev.target.name) >= 0) {
        reloadFeatures(form);
      }
      validate(false);
    });
    form.addEventListener("focusout", function (ev) {
      if (ev.target.name && ev.target.value) { touched[ev.target.name] = true; validate(false); }
    });
    form.addEventListener("submit", function () {
      // Fields of the sections that do not apply are not sent, so they cannot fail validation unseen.
      $all("[hidden] input, [hidden] select", form).forEach(function (el) { el.disabled = true; });
    });
    window.addEventListener("pageshow", function () {
      $all("input:disabled", form).forEach(function (el) { if (!el.closest("#features")) { el.disabled = false; } });
    });
    toggleSections(form);
  }

  // ---------- filters ----------
  function initFilters() {
    $all("form[data-filter-table]").forEach(function (form) {
      var table = document.getElementById(form.getAttribute("data-filter-table"));
      if (!table) { return; }
      var text = $("[data-filter-text]", form), st = $("[data-filter-state]", form), cloud = $("[data-filter-cloud]", form);
      var empty = $("[data-filter-empty]");
      function apply() {
        var needle = (text && text.value || "").trim().toLowerCase();
        var shown = 0;
        $all("tbody tr", table).forEach(function (row) {
          var ok = (!needle || (row.getAttribute("data-search") || "").indexOf(needle) >= 0) &&
            (!st || !st.value || row.getAttribute("data-state") === st.value) &&
            (!cloud || !cloud.value || row.getAttribute("data-cloud") === cloud.value);
          row.hidden = !ok;
          if (ok) { shown += 1; }
        });
        if (empty) { empty.hidden = shown !== 0; }
      }
      [text, st, cloud].forEach(function (el) { if (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); } });
    });
  }

  // ---------- connection page ----------
  function refreshText(epoch) {
    var when = new Date(epoch * 1000);
    var minutes = Math.max(0, Math.round((when.getTime() - Date.now()) / 60000));
    return when.toTimeString().substr(0, 8) + " (in " + (minutes < 1 ? "under a minute" : minutes + " min") + ")";
  }

  function checkConnection(row) {
    var name = row.getAttribute("data-profile");
    var badge = $('[data-cell="status"] .badge', row);
    var detail = $('tr[data-detail-for="' + CSS.escape(name) + '"]');
    var button = $("[data-test-connection]", row);
    badge.className = "badge pending";
    badge.textContent = "checking";
    if (detail) { detail.hidden = true; }
    if (button) { button.disabled = true; }
    return api("GET", "/api/connection?profile=" + encodeURIComponent(name)).then(function (r) {
      $('[data-cell="region"]', row).textContent = r.region || "—";
      $('[data-cell="tenant"]', row).textContent = r.tenant || "—";
      badge.className = "badge " + (r.ok ? "done" : "failed");
      badge.textContent = r.ok ? "key works" : "failed";
      if (r.dialect === "cortex") {
        if (r.key_id) { $('[data-cell="key"]', row).textContent = "key id " + r.key_id + (r.key_type ? " (" + r.key_type + ")" : ""); }
        $('[data-cell="refresh"]', row).textContent = r.role || "—";
      } else {
        $('[data-cell="refresh"]', row).textContent = r.token_refresh ? refreshText(r.token_refresh) : "—";
      }
      if (!r.ok && r.message && detail) { detail.hidden = false; detail.firstElementChild.textContent = r.message; }
    }).catch(function (err) {
      badge.className = "badge failed";
      badge.textContent = "failed";
      if (detail) { detail.hidden = false; detail.firstElementChild.textContent = err.message; }
    }).then(function () { if (button) { button.disabled = false; } });
  }

  function initConnection() {
    $all("tr.profile-row").forEach(function (row) {
      checkConnection(row);
      var button = $("[data-test-connection]", row);
      if (button) { button.addEventListener("click", function () { checkConnection(row); }); }
    });
  }

  // ---------- job page ----------
  function setBadge(el, state) { if (el) { el.className = "badge " + state; el.textContent = state; } }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return ""; }
    if (seconds < 1) { return Math.round(seconds * 1000) + " ms"; }
    if (seconds < 60) { return seconds.toFixed(1) + " s"; }
    var whole = Math.floor(seconds), rest = whole % 60;
    return Math.floor(whole / 60) + " min " + (rest < 10 ? "0" : "") + rest + " s";
  }

  function renderComponents(components, healthy) {
    var table = $("#components"), empty = $("#components-empty");
    if (!table) { return; }
    var body = $("tbody", table);
    body.textContent = "";
    components.forEach(function (c) {
      var tr = document.createElement("tr");
      var a = document.createElement("td"); a.textContent = c.name;
      var b = document.createElement("td"); var badge = document.createElement("span");
      badge.className = "badge " + String(c.status).toLowerCase(); badge.textContent = c.status; b.appendChild(badge);
      var d = document.createElement("td"); d.textContent = c.message || (c.remediation ? "" : "—");
      if (c.remediation) {
        d.appendChild(document.createElement("br"));
        var strong = document.createElement("strong"); strong.textContent = "What to do: ";
        d.appendChild(strong); d.appendChild(document.createTextNode(c.remediation));
      }
      tr.appendChild(a); tr.appendChild(b); tr.appendChild(d); body.appendChild(tr);
    });
    table.hidden = components.length === 0;
    empty.hidden = components.length !== 0;
    if (healthy && components.length === 0) { empty.textContent = "All components report healthy."; }
  }

  // ---------- Cortex job: deployment resources and capabilities, live from their events ----------
  var CAPABILITY_BADGES = { connected: "done", disabled: "skipped", retrieving: "running", warning: "warning", error: "error" };

  function cell(tr, text, badge) {
    var td = document.createElement("td");
    if (badge !== undefined) {
      var span = document.createElement("span"); span.className = "badge " + badge; span.textContent = text;
      td.appendChild(span);
    } else { td.textContent = text; }
    tr.appendChild(td);
    return td;
  }

  function fillTable(tableId, emptyId, rows, build) {
    var table = document.getElementById(tableId), empty = document.getElementById(emptyId);
    if (!table) { return; }
    var body = $("tbody", table);
    body.textContent = "";
    rows.forEach(function (row) { var tr = document.createElement("tr"); build(tr, row); body.appendChild(tr); });
    table.hidden = rows.length === 0;
    if (empty) { empty.hidden = rows.length !== 0; }
  }

  function renderResources(p) {
    fillTable("cortex-resources", "cortex-resources-empty", p.resources || [], function (tr, r) {
      var code = document.createElement("code"); code.textContent = r.type || "";
      cell(tr, "").appendChild(code);
      cell(tr, r.name || "");
      cell(tr, r.state || "", String(r.state || "").toLowerCase());
    });
  }

  function renderCapabilities(p) {
    var card = $("#cortex-card");
    if (card && p.instance_id) { card.setAttribute("data-instance", p.instance_id); }
    var state = $("#cortex-state");
    if (state && p.state) { state.hidden = false; state.className = "badge " + p.state; state.textContent = String(p.state).replace(/_/g, " "); }
    fillTable("cortex-capabilities", "cortex-capabilities-empty", p.capabilities || [], function (tr, c) {
      var label = String(c.label || c.status || "");
      tr.setAttribute("data-capability", c.name || "");
      cell(tr, c.description || c.name || "");
      cell(tr, label, CAPABILITY_BADGES[label.toLowerCase()] || "unknown").firstChild.setAttribute("data-label", "");
      cell(tr, c.message || "\u2014").setAttribute("data-message", "");
    });
  }

  function renderJob(job) {
    var head = $("#job");
    head.setAttribute("data-state", job.state);
    head.setAttribute("data-finished", String(job.finished));
    head.setAttribute("data-orphaned", String(job.orphaned));
    head.setAttribute("data-updated", String(job.updated_at));
    setBadge($("#job-state"), job.state);
    job.steps.forEach(function (s) {
      var li = $('li[data-step="' + CSS.escape(s.name) + '"]');
      if (!li) { return; }
      li.className = "step " + s.state;
      li.setAttribute("data-state", s.state);
      li.setAttribute("data-started", s.started_at === null ? "" : String(s.started_at));
      li.setAttribute("data-finished-at", s.finished_at === null ? "" : String(s.finished_at));
      setBadge($("[data-step-state]", li), s.state);
      if (s.state !== "running") { $("[data-duration]", li).textContent = duration(s.elapsed); }
    });
    // The verify step's output only holds the final list; while it runs, the status events fill the table.
    if (job.account_status.length || job.finished) { renderComponents(job.account_status, job.ok); }
    // Resume is offered only where it can help: not for a failure that needs new input (the page
    // offers "Edit and start again", or a secret form that resumes, instead).
    var resume = $("#resume-form");
    resume.hidden = !job.can_resume || resume.getAttribute("data-helps") === "false";
    $("#cancel-form").hidden = !job.can_cancel;
    // A failed Cortex job's cancel deletes the PENDING instance it made (the engine says when).
    $("#cancel-button").textContent = job.cancel_cleans_up ? "Cancel and clean up" : "Cancel";
    tickTimers();
  }

  // Running steps and an unsettled job show a live timer; the rest show what the record says.
  function tickTimers() {
    var head = $("#job");
    if (!head) { return; }
    var now = Date.now() / 1000;
    $all('li.step[data-state="running"]').forEach(function (li) {
      var started = parseFloat(li.getAttribute("data-started"));
      if (!isNaN(started)) { $("[data-duration]", li).textContent = duration(Math.max(0, now - started)); }
    });
    var total = $("#total-elapsed");
    var created = parseFloat(head.getAttribute("data-created"));
    var settled = head.getAttribute("data-finished") === "true" || head.getAttribute("data-state") === "waiting" ||
      head.getAttribute("data-orphaned") === "true";
    var until = settled ? parseFloat(head.getAttribute("data-updated")) : now;
    if (total && !isNaN(created) && !isNaN(until)) { total.textContent = duration(Math.max(0, until - created)); }
  }

  // Once the job stops, the parts the server words (cause, fix, account left behind, actions) are taken
  // from the page as the server renders it, so the live page and a reload say exactly the same.
  function swapFromServer() {
    return fetch(location.pathname, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      ["job-notices", "timeline", "status-card", "cortex-card", "job-actions", "live-status"].forEach(function (id) {
        var fresh = doc.getElementById(id), current = document.getElementById(id);
        if (fresh && current) { current.replaceWith(fresh); }
      });
      var head = doc.getElementById("job");
      if (head) {
        ["data-state", "data-finished", "data-orphaned", "data-updated"].forEach(function (a) {
          $("#job").setAttribute(a, head.getAttribute(a));
        });
        setBadge($("#job-state"), head.getAttribute("data-state"));
      }
      tickTimers();
    });
  }

  function logText(ev) {
    var p = ev.payload || {};
    var text = p.line || p.message || p.output || p.text || "";
    if (ev.type === "secret") { text = "client secret stored (" + (p.stored || "encrypted") + ")"; }
    if (ev.type === "terraform") { text = "terraform " + (p.command || "") + ": " + text; }
    if (p.components) {
      text = "account status: " + (p.components.length ? p.components.map(function (c) {
        return c.name + " " + c.status;
      }).join(", ") : "all components healthy");
    }
    if (ev.type === "resources" && p.resources) {
      text = "deployment " + (p.deployment || "") + ": " + p.resources.map(function (r) {
        return r.type + " " + r.name + " " + r.state;
      }).join(", ");
    }
    if (ev.type === "capabilities" && p.capabilities) {
      text = "Cortex instance " + (p.instance_id || "") + " " + String(p.state || "").replace(/_/g, " ") + ": " +
        p.capabilities.map(function (c) { return (c.description || c.name) + " " + (c.label || c.status); }).join(", ");
    }
    var step = p.step || p.step_name || "";
    var st = p.state || p.status || "";
    var title = step ? $('li[data-step="' + CSS.escape(step) + '"] .step-title') : null;
    if (!text && ev.type === "step" && title) { text = title.textContent + ": " + st; }
    if (!text) { text = ev.type.replace(/_/g, " ") + (step ? " " + step : "") + (st ? ": " + st : ""); }
    var when = ev.ts ? new Date(ev.ts * 1000).toISOString().substr(11, 8) : "";
    return (when ? when + "  " : "") + text;
  }

  // One expandable group per step, in the order the steps run; lines of no step go to "Job".
  function logGroup(log, step) {
    var key = step || "job";
    var group = $('details[data-log-step="' + CSS.escape(key) + '"]', log);
    if (group) { return group; }
    group = document.createElement("details");
    group.open = true;
    group.setAttribute("data-log-step", key);
    var summary = document.createElement("summary");
    var li = step ? $('li[data-step="' + CSS.escape(step) + '"] .step-title') : null;
    summary.textContent = li ? li.textContent : (step || "Job");
    var count = document.createElement("span"); count.className = "muted count"; summary.appendChild(count);
    var pre = document.createElement("pre"); pre.className = "log";
    group.appendChild(summary); group.appendChild(pre);
    var order = $all("li.step").map(function (el) { return el.getAttribute("data-step"); });
    var mine = order.indexOf(step);
    var before = null;
    $all("details[data-log-step]", log).some(function (other) {
      var theirs = order.indexOf(other.getAttribute("data-log-step"));
      if (mine >= 0 && (theirs < 0 || theirs > mine)) { before = other; return true; }
      return false;
    });
    log.insertBefore(group, before);
    return group;
  }

  function appendLog(log, ev) {
    var p = ev.payload || {};
    var step = p.step || p.step_name || "";
    var group = logGroup(log, step);
    var pre = $("pre", group);
    var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(logText(ev) + "\n"));
    var n = pre.childNodes.length;
    $(".count", group).textContent = " · " + n + " line" + (n === 1 ? "" : "s");
    if (atBottom) { pre.scrollTop = pre.scrollHeight; }
  }

  // A stream that ended on a job which may still move (waiting for an outage to pass, or orphaned until
  // someone resumes it: this page's Resume, whose runner may claim it a moment after the redirect, or
  // another operator's CLI) keeps an eye on the job and reloads once it moves, which opens a new stream.
  function watchUntilMoved(id, moved, every) {
    var timer = setInterval(function () {
      api("GET", "/api/jobs/" + encodeURIComponent(id)).then(function (job) {
        if (moved(job)) { clearInterval(timer); location.reload(); }
      }).catch(function () {});
    }, every);
  }

  function initJob() {
    var head = $("#job");
    if (!head) { return; }
    setInterval(tickTimers, 1000);
    tickTimers();
    if (!window.EventSource) { return; }
    var id = head.getAttribute("data-job-id");
    var log = $("#log");
    var pending = null;
    function refresh() {
      if (pending) { return; }
      pending = setTimeout(function () {
        pending = null;
        api("GET", "/api/jobs/" + encodeURIComponent(id)).then(function (job) {
          renderJob(job);
          if (queued && job.state === "running" && !job.orphaned) {
            queued = false;
            $("#live-status").textContent = "Live: updates stream as the job runs.";
          }
        }).catch(function () {});
      }, 150);
    }
    // A held job (resumed here, queued for a worker) still reads as it was; its stream stays open.
    var wasMoving = head.getAttribute("data-finished") !== "true" || head.getAttribute("data-held") === "true";
    var source = new EventSource("/jobs/" + encodeURIComponent(id) + "/events");
    // Queued (resumed here, waiting for a worker): the stream replays the job's past first, so the text
    // changes once the job itself reads as running under a live runner.
    var queued = head.getAttribute("data-held") === "true" && $("#live-status").textContent.indexOf("Resumed") === 0;
    source.addEventListener("open", function () {
      if (wasMoving && !queued) { $("#live-status").textContent = "Live: updates stream as the job runs."; }
    });
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) { $("#live-status").textContent = "Connection lost; reconnecting and resuming where it stopped…"; }
    });
    source.addEventListener("job", function (msg) {
      var ev = JSON.parse(msg.data);
      // A checkpoint is the engine's own bookkeeping (which partial outputs it saved), not news for a person.
      if (ev.type === "checkpoint") { refresh(); return; }
      if (ev.type === "status" && ev.payload && ev.payload.components) { renderComponents(ev.payload.components, false); }
      if (ev.type === "resources" && ev.payload) { renderResources(ev.payload); }
      if (ev.type === "capabilities" && ev.payload) { renderCapabilities(ev.payload); }
      appendLog(log, ev);
      refresh();
    });
    source.addEventListener("end", function (msg) {
      source.close();
      var data = JSON.parse(msg.data);
      $("#live-status").textContent = data.message || ("Finished: " + data.state + ".");
      api("GET", "/api/jobs/" + encodeURIComponent(id)).then(renderJob).catch(function () {});
      if (wasMoving || data.orphaned) { swapFromServer().catch(function () {}); }
      if (data.orphaned) {
        watchUntilMoved(id, function (job) { return job.state !== "running" || !job.orphaned; }, 1000);
      } else if (data.state === "waiting") {
        watchUntilMoved(id, function (job) { return job.state !== "waiting"; }, 5000);
      }
    });
  }

  // ---------- jobs list: keep the states of running jobs current ----------
  function initJobsList() {
    var table = $("#jobs-table");
    if (!table) { return; }
    function tick() {
      var rows = $all("tr[data-job]", table).filter(function (r) { return r.getAttribute("data-finished") !== "true"; });
      if (!rows.length) { return; }
      Promise.all(rows.map(function (row) {
        return api("GET", "/api/jobs/" + encodeURIComponent(row.getAttribute("data-job"))).then(function (job) {
          row.setAttribute("data-state", job.state);
          row.setAttribute("data-finished", String(job.finished));
          setBadge($("[data-job-state]", row), job.state);
        }).catch(function () {});
      })).then(function () { setTimeout(tick, 1000); });
    }
    setTimeout(tick, 1000);
  }

  // ---------- batch page: counts and per-job states, polled until every job has finished ----------
  function initBatch() {
    var head = $("#batch");
    if (!head) { return; }
    var id = head.getAttribute("data-batch");
    function tick() {
      api("GET", "/api/batches/" + encodeURIComponent(id)).then(function (b) {
        $("#batch-progress").textContent = b.text;
        head.setAttribute("data-finished", String(b.finished));
        b.jobs.forEach(function (j) {
          var row = $('tr[data-job="' + CSS.escape(j.id) + '"]');
          if (!row || row.getAttribute("data-state") === j.state) { return; }
          row.setAttribute("data-state", j.state);
          row.setAttribute("data-finished", String(j.finished));
          setBadge($("[data-job-state]", row), j.state);
        });
        if (!b.finished) { setTimeout(tick, 1000); }
      }).catch(function () { setTimeout(tick, 3000); });
    }
    if (head.getAttribute("data-finished") !== "true") { setTimeout(tick, 500); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    initBatch();
    initWizard();
    initFilters();
    initConnection();
    initJob();
    initJobsList();
  });
})();
