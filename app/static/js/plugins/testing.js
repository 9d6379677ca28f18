// The plugin panel's testing section (app/templates/plugins/_testing.html). "Run stack" posts the sample task (or the
// pasted one) into #plugin-testing-frame: the labeling page in testing mode (plugins.testing_frame), where the real
// runtime (runtime.js) runs every enabled plugin of the stack and the editor saves nothing. This script, in the
// panel's page, reads the frame (same origin): it replays and follows the runtime's log (Tessera.plugins.log /
// onLog), fires any event of the contract by hand through Tessera.plugins.dispatch, and shows what the frame's
// Submit / Update / Skip would have done ("tessera:testing-save"). Nothing here runs plugin code itself.
(function () {
  "use strict";
  if (window.TesseraPluginTesting) return; // htmx runs this again on every swap of the panel: keep the first copy

  const EVENTS = new Set(["beforeSaveAnnotation", "submitAnnotation", "updateAnnotation", "skipTask", "nextTask",
    "prevTask", "selectAnnotation", "deleteAnnotation", "entityCreate", "entityDelete", "regionFinishedDrawing",
    "acceptAnnotation", "rejectAnnotation"]);
  let conn = null; // {frame, win, P, off, started, lastError}
  let startedAt = Date.now();

  const byId = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(value) {
    if (value === undefined) return "undefined";
    let text;
    try { text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value); } catch (err) { text = String(value); }
    if (text === undefined) text = String(value);
    return text.length > 300 ? text.slice(0, 299) + "\u2026" : text;
  }
  function buttons(enabled) {
    document.querySelectorAll("[data-plugin-testing] [data-fire]").forEach((b) => { b.disabled = !enabled; });
  }

  // ---- The log: one <li> per entry, in the order things happened.
  function add(entry) {
    const list = byId("plugin-testing-log");
    if (!list) return;
    const empty = list.querySelector(".plugin-testing-empty");
    if (empty) empty.remove();
    const kind = entry.kind || "info";
    // A handler's exception is reported twice by the runtime (when caught, then as the handler's result): once here.
    if (kind === "error" && conn && conn.lastError && conn.lastError.plugin === entry.plugin &&
        conn.lastError.event === entry.event && conn.lastError.message === entry.message) return;
    if (conn) conn.lastError = kind === "error" ? entry : null;
    const li = el("li", "plugin-testing-entry kind-" + kind);
    li.dataset.kind = kind;
    if (entry.event) li.dataset.event = entry.event;
    if (entry.title) li.dataset.plugin = entry.title;
    const at = entry.at ? Math.max(0, entry.at - startedAt) : Math.max(0, Date.now() - startedAt);
    li.appendChild(el("span", "plugin-testing-at muted", "+" + at + " ms"));
    if (entry.event) li.appendChild(el("code", "plugin-testing-event", entry.event));
    if (entry.title) li.appendChild(el("strong", "plugin-testing-plugin", entry.title));
    let text;
    if (kind === "result") text = "\u2192 returned " + show(entry.result);
    else if (kind === "error") {
      const where = entry.line ? " at line " + entry.line : "";
      text = (EVENTS.has(entry.event) ? "\u2192 threw" : "error") + where + ": " + entry.message;
    } else text = entry.message || "";
    li.appendChild(el("span", "plugin-testing-text", text));
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  // ---- The frame: connect to its runtime when it has loaded.
  function disconnect() {
    if (!conn) return;
    try { conn.off && conn.off(); } catch (err) { /* the frame's window went away */ }
    try { conn.resize && conn.resize.disconnect(); } catch (err) { /* idem */ }
    conn = null;
    buttons(false);
  }
  function alive(c) { return !!c && c.frame.isConnected && c.frame.contentWindow === c.win; }

  function connect(frame) {
    disconnect();
    let win, doc;
    try { win = frame.contentWindow; doc = frame.contentDocument; } catch (err) { return; }
    if (!win || !doc || win.location.href === "about:blank") return;
    const refused = doc.getElementById("plugin-testing-error");
    if (refused) { add({ kind: "error", message: "The stack could not run: " + refused.textContent.trim() }); return; }
    const T = win.Tessera;
    const P = T && T.plugins;
    if (!P || typeof P.onLog !== "function" || !T.labeling) {
      add({ kind: "error", message: "The labeling page did not start in the frame (see the browser console)." });
      return;
    }
    const c = { frame, win, P, off: null, lastError: null, resize: null };
    conn = c;
    let state = {};
    try { state = JSON.parse(doc.getElementById("lsf-state").textContent); } catch (err) { state = {}; }
    const task = state.task || {};
    const plugins = state.plugins || [];
    add({ kind: "info", message: "Stack run on " + (task.id == null ? "the pasted task" : "task #" + task.inner_id) + ": " +
      (plugins.length ? plugins.map((p) => p.title + " (" + p.mode + ")").join(", ") : "no enabled plugin") });
    // What the runtime logged before this script could listen (the run started while the frame loaded), then the rest.
    Array.from(P.log || []).forEach((entry) => add(entry));
    c.off = P.onLog((entry) => { if (conn === c) add(entry); });
    win.addEventListener("tessera:testing-save", (e) => {
      if (conn !== c) return;
      const d = e.detail || {};
      add({ kind: d.cancelled ? "cancelled" : "outcome", event: d.kind === "skip" ? "skipTask" : "beforeSaveAnnotation", message: d.message });
    });
    // Fit the frame to the labeling interface it shows.
    const fit = () => { if (alive(c)) frame.style.height = Math.min(Math.max(doc.documentElement.scrollHeight, 200), 1600) + "px"; };
    fit();
    if (win.ResizeObserver) { c.resize = new win.ResizeObserver(fit); c.resize.observe(doc.body); }
    buttons(true);
  }
  // load does not bubble: listen in the capture phase, for the frame of whichever panel is on the page.
  document.addEventListener("load", (e) => {
    if (e.target && e.target.id === "plugin-testing-frame") connect(e.target);
  }, true);

  // ---- Events by hand: the arguments the labeling page would pass (docs/plugins-lsi.md, Events).
  function argsFor(event, win) {
    const T = win.Tessera, lab = T.labeling, L = T.lsf;
    const annotation = L.annotationFacade();
    const store = { selected: annotation, annotations: [] };
    const region = annotation.regions[0] || null;
    switch (event) {
      case "beforeSaveAnnotation": return [store, annotation, { event: "submitAnnotation" }];
      case "submitAnnotation": case "updateAnnotation": case "deleteAnnotation": return [store, annotation];
      case "skipTask": return [store, { comment: "" }];
      case "nextTask": case "prevTask": return [lab.task ? lab.task.id : null, annotation.id];
      case "selectAnnotation": return [annotation, null, {}];
      case "entityCreate": case "entityDelete": case "regionFinishedDrawing": return [region];
      case "acceptAnnotation": case "rejectAnnotation": return [store, { entity: annotation, comment: "" }];
      default: return [];
    }
  }
  function fire(event) {
    const c = conn;
    if (!alive(c)) { add({ kind: "error", event, message: "Run the stack first." }); buttons(false); return; }
    let args;
    try { args = argsFor(event, c.win); } catch (err) { add({ kind: "error", event, message: "Could not build the event's arguments: " + err.message }); return; }
    const regionEvent = event === "entityCreate" || event === "entityDelete" || event === "regionFinishedDrawing";
    add({ kind: "fire", event, message: "fired by hand" + (regionEvent && !args[0] ? " (the annotation has no region: null passed)" : "") });
    Promise.resolve(c.P.dispatch(event, args)).then((out) => {
      if (conn !== c) return;
      if (!out || !out.length) { add({ kind: "none", event, message: "no handler registered for this event" }); return; }
      if (event === "beforeSaveAnnotation") {
        const cancel = out.some((x) => x.result === false);
        add({ kind: cancel ? "cancelled" : "outcome", event,
          message: cancel ? "a handler returned false: the save would be cancelled" : "no handler returned false: the save would proceed" });
      }
    }, (err) => add({ kind: "error", event, message: String((err && err.message) || err) }));
  }

  document.addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest("[data-plugin-testing] [data-fire]");
    if (b) { fire(b.dataset.fire); return; }
    const clear = e.target.closest && e.target.closest("[data-plugin-testing] [data-testing-clear]");
    if (clear) { const list = byId("plugin-testing-log"); if (list) list.replaceChildren(); }
  });
  document.addEventListener("submit", (e) => {
    if (!e.target || e.target.id !== "plugin-testing-form") return;
    disconnect();
    startedAt = Date.now();
    const list = byId("plugin-testing-log");
    if (list) list.querySelectorAll(".plugin-testing-empty").forEach((x) => x.remove());
  });

  window.TesseraPluginTesting = { fire, get connected() { return alive(conn); } };
  // The panel may have been swapped in with a frame that already shows a run.
  const frame = byId("plugin-testing-frame");
  if (frame && frame.contentDocument && frame.contentDocument.readyState === "complete") connect(frame);
})();
