// A sandboxed plugin's frame (<iframe sandbox="allow-scripts">, opaque origin: no cookies, no storage, no access
// to the labeling page). The page (runtime.js) posts the plugin's code and a snapshot of the labeling state in;
// here the code runs as the body of its own sloppy-mode async function with a proxy `LSI`: reads come from the
// snapshot, handlers are registered with the page, modal calls and annotation edits are posted to the page, which
// checks them before applying them. Every message carries the frame's random token (the URL fragment, which only
// the page and this frame know) and is accepted only from the parent window at Tessera's origin.
(function () {
  "use strict";
  const token = location.hash.slice(1);
  const home = location.origin; // the URL's origin (Tessera); this document's own origin is opaque ("null")
  if (!token || window.parent === window) return;

  const NEVER = new Set(["labelStudioLoad", "storageInitialized"]);
  const REGION_TYPES = new Set(["labels", "hypertextlabels", "rectanglelabels", "rectangle"]);
  const AsyncFunction = (async function () {}).constructor;
  const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

  let plugin = { id: 0, title: "plugin", allowlist: [] };
  let snap = { task: null, user: null, project: null, annotation: { id: null, readonly: false, serialized: [] } };
  let gen = 0;
  let handlers = new Map(); // event -> Set(fn), this run's
  const imported = new Map(); // url -> Promise (across runs)
  let mounts = 0;
  const mountWaits = new Map(); // LSI.mount request -> resolve

  function post(msg) {
    msg.token = token;
    msg.gen = gen;
    window.parent.postMessage(msg, home);
  }

  // ---- Where an error happened: the line within the plugin's own code.
  let lineOffset = 2; // Chrome's "(async function anonymous(LSI\n) {\n": measured below
  try {
    const probe = new AsyncFunction("LSI", "throw new Error('probe')\n//# sourceURL=tessera-plugin-probe.js");
    probe().catch((err) => {
      const m = /tessera-plugin-probe\.js:(\d+)/.exec(String(err && err.stack));
      if (m) lineOffset = Number(m[1]) - 1;
    });
  } catch (err) { /* no eval: the run reports it */ }
  function lineOf(err) {
    const m = new RegExp("tessera-plugin-" + plugin.id + "\\.js:(\\d+)").exec(String(err && err.stack));
    return m ? Math.max(1, Number(m[1]) - lineOffset) : null;
  }
  function report(err, where) {
    post({ t: "error", where: where || "", message: String((err && err.message) || err), line: lineOf(err),
      stack: String((err && err.stack) || "") });
  }
  window.addEventListener("error", (e) => report(e.error || e.message, "uncaught"));
  window.addEventListener("unhandledrejection", (e) => report(e.reason, "unhandled promise"));

  // ---- Facades built from the snapshot (same shapes as the page's, store.js)
  const config = () => (snap.project && snap.project.parsed_label_config) || {};
  const isRegion = (r) => REGION_TYPES.has(r.type);
  function regionFacade(r) {
    const v = r.value || {};
    const base = {
      id: r.id, from_name: r.from_name, to_name: r.to_name, classification: false,
      labels: v.labels || v.rectanglelabels || v.hypertextlabels || [],
      get results() { return snap.annotation.serialized.filter((x) => x.id === r.id).map(resultFacade); },
      select() { post({ t: "select", id: r.id }); },
      deleteRegion() { post({ t: "deleteRegion", id: r.id }); },
    };
    if (typeof v.start === "number") return Object.assign(base, { type: "richtextregion", startOffset: v.start, endOffset: v.end, text: v.text });
    return Object.assign(base, { type: "rectangleregion", x: v.x, y: v.y, width: v.width, height: v.height, rotation: v.rotation || 0 });
  }
  function resultFacade(r) {
    const ctl = config()[r.from_name] || {};
    return {
      id: r.id, type: r.type, value: r.value,
      from_name: { name: r.from_name, type: String(ctl.type || r.type).toLowerCase() },
      to_name: { name: r.to_name },
      area: isRegion(r) ? regionFacade(r) : { id: r.id, classification: true },
      mainValue: r.value ? r.value[r.type] : undefined,
    };
  }
  function annotationFacade(a) {
    a = a || snap.annotation;
    const list = () => (a === snap.annotation ? snap.annotation.serialized : a.serialized) || [];
    return {
      id: a.id, readonly: !!a.readonly,
      get results() { return list().map(resultFacade); },
      get regions() { return list().filter(isRegion).map(regionFacade); },
      serializeAnnotation() { return clone(list()); },
      deserializeResults(results) {
        const items = clone(Array.isArray(results) ? results : [results]);
        // Shown here at once; the page checks the results against the configuration and sends back the truth.
        if (!a.readonly) {
          const rs = list();
          for (const item of items) {
            if (!item || typeof item !== "object" || !config()[item.from_name]) continue;
            let at = rs.findIndex((r) => item.id && r.id === item.id && r.from_name === item.from_name);
            if (at < 0 && !isRegion(item)) at = rs.findIndex((r) => r.from_name === item.from_name && !isRegion(r));
            if (at >= 0) rs[at] = item; else rs.push(item);
          }
        }
        post({ t: "deserialize", results: items });
        return true;
      },
      selectArea(area) { post({ t: "select", id: area && area.id }); },
      deleteRegion(region) { if (region) post({ t: "deleteRegion", id: region.id }); return !!region; },
      names: { get: tagFacade },
    };
  }
  function tagFacade(name) {
    const ctl = config()[name];
    if (!ctl) return undefined;
    return {
      name, type: String(ctl.type || "").toLowerCase(), to_name: ctl.to_name,
      children: (ctl.labels || []).map((value) => ({ value })),
      get result() { const r = snap.annotation.serialized.find((x) => x.from_name === name && !isRegion(x)); return r ? resultFacade(r) : null; },
      submitChanges() {},
    };
  }
  // Arguments of an event, as the page flattened them (runtime.js plain()).
  function revive(x) {
    if (!x || typeof x !== "object") return x;
    if (Array.isArray(x)) return x.map(revive);
    if (x.$t === "annotation") return annotationFacade(x);
    if (x.$t === "store") return { selected: annotationFacade(x.selected), annotations: x.annotations || [] };
    if (x.$t === "region") return regionFacade(x.result);
    return x;
  }

  // ---- LSI.import: the allowlist and SRI, then a <script> (the frame's policy allows the same origins).
  const SRI = /^(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}(\s+(sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2})*$/;
  function refuse(url, why) {
    const message = "LSI.import refused " + url + ": " + why;
    post({ t: "log", level: "error", message });
    return Promise.reject(new Error(message));
  }
  function importScript(url, integrity) {
    let u;
    try { u = new URL(String(url), home + "/"); } catch (err) { return refuse(url, "not a URL"); }
    const tessera = u.origin === home && u.pathname.startsWith("/static/");
    if (!tessera) {
      if (u.protocol !== "https:" || !plugin.allowlist.includes(u.origin)) return refuse(u.href, u.origin + " is not on this plugin's allowlist");
      if (!integrity || !SRI.test(String(integrity).trim())) return refuse(u.href, "a script from another origin needs an integrity (SRI) hash");
    }
    if (imported.has(u.href)) return imported.get(u.href);
    const p = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = u.href;
      if (integrity) { s.integrity = String(integrity).trim(); s.crossOrigin = "anonymous"; }
      s.onload = () => resolve();
      s.onerror = () => { imported.delete(u.href); reject(new Error("LSI.import could not load " + u.href)); };
      document.head.appendChild(s);
    });
    imported.set(u.href, p);
    return p;
  }

  const LSI = {
    on(event, fn) {
      if (typeof fn !== "function" || NEVER.has(event)) return;
      if (!handlers.has(event)) { handlers.set(event, new Set()); post({ t: "on", event: String(event) }); }
      handlers.get(event).add(fn);
    },
    off(event, fn) {
      const set = handlers.get(event);
      if (!set) return;
      if (fn === undefined) set.clear(); else set.delete(fn);
      if (!set.size) { handlers.delete(event); post({ t: "off", event: String(event) }); }
    },
    import: importScript,
    // Asks the page to show this frame in place of the <View idAttr="view"> (no view: the plugin area); resolves,
    // once the frame has its new width, to this document's body, or to null when the interface has no such View.
    mount(view) {
      const req = ++mounts;
      return new Promise((resolve) => {
        mountWaits.set(req, resolve);
        post({ t: "mount", view: view == null ? "" : String(view), req });
      });
    },
    get task() { return clone(snap.task); },
    get dataObj() { return snap.task ? snap.task.data : null; },
    get annotation() { return annotationFacade(); },
    get regions() { return annotationFacade().regions; },
  };
  window.LSI = LSI;
  window.Htx = {
    showModal(message, type) { post({ t: "modal", message: String(message), kind: String(type || "info") }); },
    annotationStore: { get selected() { return annotationFacade(); } },
    get user() { return clone(snap.user); },
  };
  window.DM = { get project() { return snap.project ? { id: snap.project.id, parsed_label_config: clone(config()) } : null; } };

  function cloneable(value) {
    if (value === undefined || value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
    try { return JSON.parse(JSON.stringify(value)); } catch (err) { return String(value); }
  }

  async function runEvent(msg) {
    const list = Array.from(handlers.get(msg.event) || []);
    const args = (msg.args || []).map(revive);
    const out = await Promise.all(list.map(async (fn) => {
      try { return { result: cloneable(await fn(...args)) }; } catch (err) {
        report(err, msg.event);
        return { error: String((err && err.message) || err), line: lineOf(err) };
      }
    }));
    post({ t: "result", call: msg.call, results: out });
  }

  async function run(msg) {
    handlers = new Map();
    plugin = { id: Number(msg.plugin.id) || 0, title: String(msg.plugin.title || ""), allowlist: msg.plugin.allowlist || [] };
    let fn;
    try {
      fn = new AsyncFunction("LSI", String(msg.code) + "\n//# sourceURL=tessera-plugin-" + plugin.id + ".js");
    } catch (err) {
      report(err, "syntax");
      post({ t: "done", ok: false });
      return;
    }
    try { await fn.call(window, LSI); post({ t: "done", ok: true }); } catch (err) { report(err, "run"); post({ t: "done", ok: false }); }
  }

  window.addEventListener("message", (e) => {
    const msg = e.data;
    if (e.source !== window.parent || e.origin !== home || !msg || msg.token !== token) return;
    if (msg.snapshot) snap = msg.snapshot;
    if (msg.t === "run") { gen = msg.gen; run(msg); } else if (msg.t === "event" && msg.gen === gen) runEvent(msg);
    else if (msg.t === "mounted") mounted(msg);
  });

  // The page moved the frame: wait (briefly) until this document has the new width, so drawing can measure it.
  function mounted(msg) {
    const resolve = mountWaits.get(msg.req);
    if (!resolve) return;
    mountWaits.delete(msg.req);
    const width = Number(msg.width) || 0, until = Date.now() + 300;
    (function check() {
      if (!width || window.innerWidth === width || Date.now() > until) resolve(msg.ok ? document.body : null);
      else setTimeout(check, 5);
    })();
  }

  // ---- What the plugin draws here is shown by the page, sized to fit.
  let lastHeight = -1;
  function size() {
    const body = document.body;
    const h = body && body.children.length ? Math.ceil(document.documentElement.scrollHeight) : 0;
    if (h !== lastHeight) { lastHeight = h; post({ t: "size", height: h }); }
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.body.style.margin = "0";
    document.body.style.font = "14px system-ui, sans-serif";
    if (window.ResizeObserver) new ResizeObserver(size).observe(document.documentElement);
    new MutationObserver(size).observe(document.body, { childList: true, subtree: true });
    post({ t: "ready" });
  });
})();
