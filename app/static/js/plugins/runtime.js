// The plugin runtime of the labeling page (docs/plugins-lsi.md). On every display of an
// annotation (the editor's selectAnnotation: page load, a swap to the next task, switching annotation, a history
// version) the previous run's handlers are dropped and each enabled plugin of the project runs, in stack order,
// as the body of its own sloppy-mode `async function (LSI)`:
// - trusted: a same-origin script file (app/plugins/runtime_views.py) that hands the function to define();
// - sandboxed: in its own <iframe sandbox="allow-scripts"> (sandbox.js), through a postMessage bridge.
// Plugins' handlers live in this runtime's registry, not on the editor's bus: the runtime listens to the bus
// once per event, waits for the current run to have registered its handlers, then calls them in stack order.
// A plugin's error is logged with its title and line and never stops the page or the other plugins.
(function () {
  "use strict";
  const T = (window.Tessera = window.Tessera || {});
  if (T.plugins) { T.plugins.kick(); return; } // loaded twice (boosted navigation): keep the first instance

  const LATE = new Set(["result", "modal", "error", "log"]);
  const EVENTS = ["beforeSaveAnnotation", "submitAnnotation", "updateAnnotation", "skipTask", "nextTask", "prevTask",
    "selectAnnotation", "deleteAnnotation", "entityCreate", "entityDelete", "regionFinishedDrawing",
    "acceptAnnotation", "rejectAnnotation"];
  const NEVER = new Set(["labelStudioLoad", "storageInitialized"]); // they precede plugins: never delivered
  const READY_CAP = 5000; // at most this long for a run's plugins to register before events go to them
  const CALL_CAP = 10000; // a sandboxed frame's answer to an event
  const TRUSTED_HEADER_LINES = 2; // runtime_views.TRUSTED_HEADER_LINES
  const NONCE = (document.currentScript && document.currentScript.nonce) ||
    (Array.from(document.scripts).find((s) => s.nonce) || {}).nonce || "";
  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const capped = (p, ms, fallback) => Promise.race([p, delay(ms).then(() => fallback)]);
  const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

  let lab = null, L = null;
  let run = null, runs = 0;
  const defined = new Map(); // "id:rev" -> the trusted plugin's function
  const loaded = new Map(); // code url -> Promise (script loaded / sandboxed code fetched)
  const imported = new Map(); // LSI.import url -> Promise (page, across runs)
  const frames = new Map(); // plugin id -> frame record
  const placements = new Map(); // plugin id -> the <View idAttr> its frame shows in (LSI.mount), across runs
  const listeners = new Set(); // testing panel: fn(entry) for every log entry
  const log = []; // [{at, plugin, kind, event, message, line, result}]

  // ---- Reporting
  function note(entry) {
    entry.at = Date.now();
    log.push(entry);
    if (log.length > 500) log.shift();
    listeners.forEach((fn) => { try { fn(entry); } catch (err) { /* the panel's problem */ } });
  }
  function lineOf(p, err) {
    if (!p || !err || !err.stack || p.mode !== "trusted") return null;
    const url = new URL(p.code_url, location.href).href.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(url + ":(\\d+)").exec(String(err.stack));
    return m ? Math.max(1, Number(m[1]) - TRUSTED_HEADER_LINES) : null;
  }
  function report(p, err, where, line) {
    const message = String((err && err.message) || err);
    line = line || lineOf(p, err);
    console.error("Tessera plugin \u201c" + (p ? p.title : "?") + "\u201d failed" + (where ? " (" + where + ")" : "") +
      (line ? " at line " + line : "") + ": " + message, err instanceof Error ? err : "");
    note({ plugin: p ? p.id : null, title: p ? p.title : "", kind: "error", event: where || "", message, line });
  }
  // Syntax errors of trusted files and errors thrown later from their callbacks name the file.
  window.addEventListener("error", (e) => {
    const p = run && run.plugins.find((x) => x.mode === "trusted" && e.filename && e.filename === new URL(x.code_url, location.href).href);
    if (p) report(p, e.error || e.message, "uncaught", e.lineno ? Math.max(1, e.lineno - TRUSTED_HEADER_LINES) : null);
  });

  // ---- Htx.showModal: a native <dialog>, text only.
  const TITLES = { error: "Error", warning: "Warning", success: "Success" };
  function showModal(message, type) {
    const kind = TITLES[type] ? type : "info";
    const dialog = document.createElement("dialog");
    dialog.className = "lsf-dialog lsf-plugin-modal lsf-plugin-modal_" + kind;
    dialog.setAttribute("role", kind === "error" || kind === "warning" ? "alertdialog" : "dialog");
    const h = document.createElement("h2");
    h.textContent = TITLES[kind] || "Notice";
    const p = document.createElement("p");
    p.className = "lsf-plugin-modal__message";
    p.textContent = String(message).slice(0, 5000);
    const form = document.createElement("form");
    form.method = "dialog";
    form.className = "actions";
    const ok = document.createElement("button");
    ok.className = "primary";
    ok.textContent = "OK";
    form.appendChild(ok);
    dialog.append(h, p, form);
    dialog.addEventListener("close", () => dialog.remove());
    document.body.appendChild(dialog);
    dialog.showModal();
    return dialog;
  }

  // ---- The page's state: the plugins of the task shown (#lsf-state, app/labeling/page.py)
  let stateEl = null, statePlugins = [];
  function currentPlugins() {
    const el = document.getElementById("lsf-state");
    if (el !== stateEl) {
      stateEl = el;
      try { statePlugins = (el && JSON.parse(el.textContent).plugins) || []; } catch (err) { statePlugins = []; }
    }
    return statePlugins;
  }

  // ---- Trusted plugins: their file calls define(); LSI.import checks the allowlist and SRI.
  function loadScript(url, integrity) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      if (integrity) { s.integrity = integrity; s.crossOrigin = "anonymous"; }
      if (NONCE) s.nonce = NONCE;
      s.async = false;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error("could not load " + url));
      document.head.appendChild(s);
    });
  }
  const SRI = /^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}(\s+(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2})*$/;
  function importFor(p) {
    return function (url, integrity) {
      const refuse = (href, why) => {
        const message = "LSI.import refused " + href + ": " + why;
        console.error("Tessera plugin \u201c" + p.title + "\u201d: " + message);
        note({ plugin: p.id, title: p.title, kind: "error", event: "import", message });
        return Promise.reject(new Error(message));
      };
      let u;
      try { u = new URL(String(url), location.href); } catch (err) { return refuse(String(url), "not a URL"); }
      const tessera = u.origin === location.origin && u.pathname.startsWith("/static/");
      if (!tessera) {
        if (u.protocol !== "https:" || !(p.allowlist || []).includes(u.origin)) return refuse(u.href, u.origin + " is not on this plugin's allowlist");
        if (!integrity || !SRI.test(String(integrity).trim())) return refuse(u.href, "a script from another origin needs an integrity (SRI) hash");
      }
      if (!imported.has(u.href)) {
        imported.set(u.href, loadScript(u.href, integrity ? String(integrity).trim() : "").catch((err) => { imported.delete(u.href); throw err; }));
      }
      return imported.get(u.href);
    };
  }
  function trustedLSI(p, r) {
    const own = new Map(); // event -> Map(fn -> wrapped)
    r.trusted.set(p.id, own);
    return {
      on(event, fn) {
        if (typeof fn !== "function" || NEVER.has(event) || !r.live) return;
        if (!own.has(event)) own.set(event, new Map());
        const set = own.get(event);
        if (!set.has(fn)) set.set(fn, fn);
      },
      off(event, fn) {
        if (fn === undefined) own.delete(event); else if (own.has(event)) own.get(event).delete(fn);
      },
      import: importFor(p),
      // In the page there is nothing to move: the View's element (in the labeling interface), or the plugin area.
      mount(view) { return Promise.resolve(view ? viewOf(String(view)) : (T.plugins.container || document.getElementById("lsf-plugins"))); },
      get task() { return lab.task; },
      get dataObj() { return lab.dataObj; },
      get annotation() { return lab.annotation; },
      get regions() { return lab.regions; },
    };
  }
  async function startTrusted(p, r) {
    const key = p.id + ":" + p.revision;
    if (!defined.has(key)) {
      if (!loaded.has(p.code_url)) loaded.set(p.code_url, loadScript(p.code_url).catch((err) => { loaded.delete(p.code_url); throw err; }));
      try { await loaded.get(p.code_url); } catch (err) { report(p, err, "load"); return; }
    }
    const fn = defined.get(key);
    if (!fn) return; // a syntax error, reported by the window's error listener
    return () => Promise.resolve().then(() => fn.call(window, trustedLSI(p, r))).catch((err) => report(p, err, "run"));
  }

  // ---- Sandboxed plugins: one frame each, kept across runs while its allowlist is the same.
  function randomToken() {
    const a = new Uint8Array(24);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function container() {
    return T.plugins.container || document.getElementById("lsf-plugins") || document.body;
  }
  function dropFrame(f) {
    frames.delete(f.plugin.id);
    f.dead = true;
    f.calls.forEach((resolve) => resolve([{ error: "the frame went away" }]));
    f.calls.clear();
    f.el.remove();
  }
  // ---- Where a frame shows: the plugin area, or in place of the <View idAttr> the plugin named with LSI.mount
  // (remembered: later displays put the frame there at once while the interface has that View). Element.moveBefore
  // keeps the frame's document when it moves; without it the frame reloads in its new place and is run again.
  function viewOf(id) {
    const root = document.getElementById("lsf-annotation");
    let el = null;
    try { el = id && root ? root.querySelector("#" + CSS.escape(id)) : null; } catch (err) { el = null; }
    return el && el.classList.contains("lsf-view") && !el.closest(".lsf-object") ? el : null;
  }
  function moveFrame(f, parent) {
    if (f.el.parentNode === parent) return;
    if (f.el.isConnected && typeof parent.moveBefore === "function") {
      try { parent.moveBefore(f.el, null); return; } catch (err) { /* not movable: reload below */ }
    }
    if (f.el.isConnected) { f.reloading = true; f.loads = 0; } // its next load is a first one (the load listener)
    parent.appendChild(f.el);
  }
  const placeOf = (p) => viewOf(placements.get(p.id)) || container();
  // Frames leaving with a swapped task go back to the plugin area first (where moving keeps them); the next run
  // puts them in the new task's View.
  window.addEventListener("htmx:beforeSwap", (e) => {
    const d = e.detail || {};
    if (!d.target || d.shouldSwap === false || typeof Element.prototype.moveBefore !== "function") return;
    frames.forEach((f) => { if (f.el.parentNode !== container() && d.target.contains(f.el)) moveFrame(f, container()); });
  });

  function frameFor(p) {
    let f = frames.get(p.id);
    if (f && (!f.el.isConnected || f.url !== p.frame_url)) { dropFrame(f); f = null; }
    if (f) {
      const at = placeOf(p);
      // Without moveBefore a move reloads the frame: between runs a new frame in place is simpler.
      if (f.el.parentNode !== at && typeof at.moveBefore !== "function") { dropFrame(f); f = null; }
      else { f.plugin = p; moveFrame(f, at); return f; }
    }
    const el = document.createElement("iframe");
    el.setAttribute("sandbox", "allow-scripts");
    el.setAttribute("referrerpolicy", "no-referrer");
    el.title = "Plugin: " + p.title;
    el.className = "lsf-plugin-frame";
    el.dataset.plugin = p.id;
    Object.assign(el.style, { border: "0", width: "100%", height: "0", display: "block" });
    f = { plugin: p, el, url: p.frame_url, token: randomToken(), events: new Set(), calls: new Map(), seq: 0, gen: 0,
      loads: 0, dead: false, done: null };
    f.ready = new Promise((resolve) => { f.readyNow = resolve; });
    // A sandboxed frame may navigate itself, not the page; after that it is no longer our bootstrap: drop it.
    el.addEventListener("load", () => {
      if (++f.loads > 1 && !f.dead) { report(f.plugin, new Error("its frame navigated away; stopped"), "sandbox"); dropFrame(f); }
    });
    el.src = p.frame_url + "#" + f.token;
    frames.set(p.id, f);
    placeOf(p).appendChild(el);
    return f;
  }
  function send(f, msg) {
    if (f.dead || !f.el.contentWindow) return false;
    msg.token = f.token;
    msg.gen = f.gen;
    f.el.contentWindow.postMessage(msg, "*"); // the frame's origin is opaque: it cannot be named
    return true;
  }
  function snapshot() {
    const a = lab.annotation;
    return {
      task: clone(lab.task), user: clone(lab.user),
      project: lab.project ? { id: lab.project.id, parsed_label_config: clone(lab.project.parsed_label_config || {}) } : null,
      annotation: { id: a.id, readonly: !!a.readonly, serialized: a.serializeAnnotation() },
    };
  }
  // Event arguments, flattened for postMessage (sandbox.js revive()).
  function plain(x, depth) {
    if (!x || typeof x !== "object") return typeof x === "function" ? undefined : x;
    if (typeof x.serializeAnnotation === "function") return { $t: "annotation", id: x.id, readonly: !!x.readonly, serialized: clone(x.serializeAnnotation()) };
    if (x.selected && typeof x.selected.serializeAnnotation === "function") {
      return { $t: "store", selected: plain(x.selected), annotations: clone(x.annotations || []) };
    }
    if (typeof x.deleteRegion === "function" && x.id) {
      const raw = (lab.annotation.serializeAnnotation() || []).find((r) => r.id === x.id && r.from_name === x.from_name);
      if (raw) return { $t: "region", result: raw };
    }
    if ((depth || 0) > 3) return undefined;
    try { return clone(x); } catch (err) { return undefined; }
  }
  function callFrame(f, event, args) {
    return new Promise((resolve) => {
      const call = ++f.seq;
      const timer = setTimeout(() => {
        f.calls.delete(call);
        report(f.plugin, new Error(event + " handlers took over " + CALL_CAP / 1000 + " s"), event);
        resolve([{ error: "timeout" }]);
      }, CALL_CAP);
      f.calls.set(call, (results) => { clearTimeout(timer); resolve(results); });
      if (!send(f, { t: "event", call, event, args: args.map((a) => plain(a)), snapshot: snapshot() })) {
        clearTimeout(timer); f.calls.delete(call); resolve([]);
      }
    });
  }
  async function fetchCode(p) {
    if (!loaded.has(p.code_url)) {
      loaded.set(p.code_url, fetch(p.code_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error("code not available (" + r.status + ")"))))
        .catch((err) => { loaded.delete(p.code_url); throw err; }));
    }
    return loaded.get(p.code_url);
  }
  async function startSandboxed(p, r) {
    const f = frameFor(p);
    f.gen = r.n;
    f.events = new Set(); // this run's registrations arrive as "on" messages
    let code;
    try { code = (await fetchCode(p)).code; } catch (err) { report(p, err, "load"); return; }
    const ready = await capped(f.ready.then(() => true), READY_CAP, false);
    if (!ready || !r.live || f.dead) { if (!ready) report(p, new Error("its sandbox did not start"), "sandbox"); return; }
    return () => new Promise((resolve) => {
      f.done = resolve;
      f.lastRun = { t: "run", code, plugin: { id: p.id, title: p.title, allowlist: p.allowlist || [] } };
      if (!send(f, Object.assign({ snapshot: snapshot() }, f.lastRun))) resolve();
    });
  }

  // Results a sandboxed plugin wants in the annotation: only controls of this configuration, with their type.
  function validResults(items) {
    const cfg = (lab.project && lab.project.parsed_label_config) || {};
    if (!Array.isArray(items) || items.length > 1000) return [];
    const out = [];
    for (const r of items) {
      if (!r || typeof r !== "object" || Array.isArray(r) || typeof r.from_name !== "string" || typeof r.type !== "string") continue;
      const ctl = cfg[r.from_name];
      if (!ctl || String(ctl.type || "").toLowerCase() !== r.type.toLowerCase()) continue;
      const targets = Array.isArray(ctl.to_name) ? ctl.to_name : [ctl.to_name];
      if (r.to_name !== undefined && !targets.includes(r.to_name)) continue;
      if (!r.value || typeof r.value !== "object" || Array.isArray(r.value)) continue;
      if (r.id !== undefined && !(typeof r.id === "string" && r.id.length <= 64)) continue;
      const item = clone(r);
      if (item.to_name === undefined) item.to_name = targets[0];
      out.push(item);
    }
    return out;
  }

  let pushTimer = 0;
  function pushSnapshots() {
    clearTimeout(pushTimer);
    pushTimer = setTimeout(() => {
      if (!run) return;
      const snap = snapshot();
      frames.forEach((f) => { if (!f.dead && f.gen === run.n) send(f, { t: "snapshot", snapshot: snap }); });
    }, 30);
  }

  window.addEventListener("message", (e) => {
    let f = null;
    frames.forEach((x) => { if (x.el.contentWindow && x.el.contentWindow === e.source) f = x; });
    const msg = e.data;
    if (!f || e.origin !== "null" || !msg || typeof msg !== "object" || msg.token !== f.token) return;
    const p = f.plugin;
    if (msg.t === "ready") {
      f.readyNow();
      // Reloaded by a move (no moveBefore): the run starts again in the new document.
      if (f.reloading && f.lastRun && run && f.gen === run.n) send(f, Object.assign({ snapshot: snapshot() }, f.lastRun));
      f.reloading = false;
      return;
    }
    if (msg.t === "size") { f.el.style.height = Math.min(Math.max(0, Number(msg.height) || 0), 3000) + "px"; return; }
    // From an earlier run (its task was just saved and replaced), only answers to events and what it tells the
    // annotator still count; anything that would change the new task is dropped.
    const current = msg.gen === f.gen && run && f.gen === run.n;
    if (!current && !LATE.has(msg.t)) return;
    switch (msg.t) {
      case "on": if (!NEVER.has(msg.event)) f.events.add(String(msg.event)); break;
      case "off": f.events.delete(String(msg.event)); break;
      case "done": if (f.done) { f.done(); f.done = null; } break;
      case "result": { const resolve = f.calls.get(msg.call); if (resolve) { f.calls.delete(msg.call); resolve(Array.isArray(msg.results) ? msg.results : []); } break; }
      case "modal": showModal(String(msg.message), String(msg.kind)); break;
      case "deserialize": {
        const good = validResults(msg.results);
        const dropped = (Array.isArray(msg.results) ? msg.results.length : 0) - good.length;
        if (dropped) report(p, new Error(dropped + " result(s) do not match the labeling configuration; ignored"), "deserializeResults");
        if (good.length) lab.annotation.deserializeResults(good);
        pushSnapshots();
        break;
      }
      case "select": L.store.select(typeof msg.id === "string" ? msg.id : null); break;
      case "deleteRegion": if (typeof msg.id === "string") L.store.removeRegion(msg.id); break;
      case "error": report(p, String(msg.message), String(msg.where || ""), Number(msg.line) || null); break;
      case "mount": {
        const view = msg.view ? viewOf(String(msg.view)) : null;
        if (view) placements.set(p.id, String(msg.view)); else placements.delete(p.id);
        moveFrame(f, view || container());
        if (!f.reloading) send(f, { t: "mounted", req: msg.req, ok: !msg.view || !!view, width: f.el.clientWidth });
        break;
      }
      case "log": console.error("Tessera plugin \u201c" + p.title + "\u201d: " + String(msg.message)); note({ plugin: p.id, title: p.title, kind: "error", event: "log", message: String(msg.message) }); break;
      default: break;
    }
  });

  // ---- Runs
  function startRun(trigger) {
    const plugins = currentPlugins();
    if (run) run.live = false;
    const r = { n: ++runs, live: true, plugins, trusted: new Map() };
    run = r;
    const wanted = new Set(plugins.filter((p) => p.mode !== "trusted").map((p) => p.id));
    frames.forEach((f) => { if (!wanted.has(f.plugin.id)) dropFrame(f); });
    r.ready = (async () => {
      // Everything loads at once; the plugins start one after the other, in stack order.
      const starters = plugins.map((p) => (p.mode === "trusted" ? startTrusted(p, r) : startSandboxed(p, r)).catch((err) => report(p, err, "start")));
      const running = [];
      for (let i = 0; i < plugins.length; i++) {
        const go = await starters[i];
        if (!r.live) return;
        if (typeof go === "function") running.push(capped(go(), READY_CAP));
      }
      await Promise.all(running);
    })();
    r.readyCapped = capped(r.ready, READY_CAP + 1000);
    r.readyCapped.then(() => { r.settled = true; });
    note({ plugin: null, kind: "run", event: trigger ? trigger[0] : "", message: "run " + r.n + ": " + plugins.length + " plugin(s)" });
    if (trigger) r.readyCapped.then(() => { if (run === r) dispatch(trigger[0], trigger[1]); });
    return r;
  }

  // Calls every handler of the current run for `event`, in stack order; [{plugin, title, result | error, line}].
  async function dispatch(event, args) {
    // The run current when the event fired: after a save the next task may be swapped in (a new run) while this
    // one is still being waited for, and the event belongs to the annotation that was saved.
    const r = run;
    if (!r) return [];
    // A settled run is called at once, before anything else can happen: the next task's swap re-runs the
    // sandboxed frames, and a frame handles messages in order, so the event reaches the handlers that were live.
    if (!r.settled) await r.readyCapped;
    const calls = [];
    for (const p of r.plugins) {
      if (p.mode === "trusted") {
        const set = r.trusted.get(p.id) && r.trusted.get(p.id).get(event);
        for (const fn of Array.from(set ? set.keys() : [])) {
          calls.push((async () => {
            try { return { plugin: p.id, title: p.title, result: await fn(...args) }; } catch (err) {
              report(p, err, event);
              return { plugin: p.id, title: p.title, error: String((err && err.message) || err), line: lineOf(p, err) };
            }
          })());
        }
      } else {
        const f = frames.get(p.id);
        if (f && !f.dead && f.gen === r.n && f.events.has(event)) {
          calls.push(callFrame(f, event, args).then((results) => results.map((x) => Object.assign({ plugin: p.id, title: p.title }, x))));
        }
      }
    }
    const out = (await Promise.all(calls)).flat();
    out.forEach((x) => note({ plugin: x.plugin, title: x.title, kind: x.error ? "error" : "result", event, message: x.error || "", line: x.line || null,
      result: x.result === undefined ? undefined : (() => { try { return clone(x.result); } catch (err) { return String(x.result); } })() }));
    return out;
  }

  function attach() {
    lab = T.labeling; L = T.lsf;
    EVENTS.forEach((event) => {
      if (event === "selectAnnotation") {
        lab.on(event, (annotation, previous, extra) => { startRun([event, [annotation, previous, extra || {}]]); });
      } else if (event === "beforeSaveAnnotation") {
        lab.on(event, (...args) => dispatch(event, args).then((out) => !out.some((x) => x.result === false)));
      } else {
        lab.on(event, (...args) => { dispatch(event, args); });
      }
    });
    L.store.listeners.add(() => { if (frames.size) pushSnapshots(); });
    if (!window.Htx) {
      window.Htx = {
        showModal,
        annotationStore: { get selected() { return lab.annotation; } },
        get user() { return lab.user; },
      };
    }
    if (!window.DM) {
      window.DM = { get project() { return lab.project ? { id: lab.project.id, parsed_label_config: lab.project.parsed_label_config } : null; } };
    }
    kick();
  }
  // The editor may have shown an annotation before this file arrived (scripts out of order after a boosted
  // navigation): run for it now.
  function kick() {
    if (!lab) return;
    const el = document.getElementById("lsf-state");
    if (el && lab.task && (!run || el !== stateEl)) startRun(null);
  }

  T.plugins = {
    define(id, revision, fn) { if (typeof fn === "function") defined.set(id + ":" + revision, fn); },
    dispatch, showModal, log, kick, container: null,
    onLog(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    get run() { return run; },
    rerun() { return startRun(null); },
  };

  let tries = 0;
  (function wait() {
    if (T.labeling && T.lsf && T.lsf.store) attach();
    else if (++tries < 100) setTimeout(wait, 50);
  })();
})();
