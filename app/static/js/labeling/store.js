// Labeling page, part 1 of 3: the event bus, the annotation store (results in Label Studio's format, with undo)
// and the plugin-facing facade `Tessera.labeling` (the spec's LSI object). No DOM work happens here.
(function () {
  "use strict";
  const T = (window.Tessera = window.Tessera || {});
  const L = (T.lsf = T.lsf || {});
  if (L.store) return; // loaded twice (boosted navigation re-runs scripts): keep the first instance

  const REGION_TYPES = new Set(["labels", "hypertextlabels", "rectanglelabels", "rectangle"]);
  const isRegion = (r) => REGION_TYPES.has(r.type);
  const clone = (x) => JSON.parse(JSON.stringify(x === undefined ? null : x));
  // Label Studio's ids are 10 random characters; anything short and unique within an annotation does.
  const uid = () => Math.random().toString(36).slice(2, 12).padEnd(10, "0");

  // ---- Event bus: a handler is registered once per event; a throwing handler never stops the others.
  const handlers = new Map();
  function on(event, fn) {
    if (typeof fn !== "function") return;
    if (!handlers.has(event)) handlers.set(event, new Set());
    handlers.get(event).add(fn);
  }
  function off(event, fn) {
    if (fn === undefined) handlers.delete(event);
    else if (handlers.has(event)) handlers.get(event).delete(fn);
  }
  function emit(event, ...args) {
    const out = [];
    for (const fn of Array.from(handlers.get(event) || [])) {
      try { out.push(fn(...args)); } catch (err) { console.error("Tessera labeling: handler of " + event + " failed", err); }
    }
    return out;
  }

  // ---- The store: one annotation's results; every change is one undo step (or merged into the last, see key).
  const store = {
    results: [], undoStack: [], redoStack: [], selected: null, readonly: false,
    meta: { id: null }, listeners: new Set(), lastKey: null, lastAt: 0,

    load(results, readonly) {
      this.results = (Array.isArray(results) ? clone(results) : []).filter((r) => r && typeof r === "object");
      this.results.forEach((r) => { if (!r.id) r.id = uid(); if (!r.value || typeof r.value !== "object") r.value = {}; });
      this.undoStack = []; this.redoStack = []; this.selected = null; this.readonly = !!readonly; this.lastKey = null;
      this.notify(false);
    },
    snapshot() { return { results: clone(this.results), undo: this.undoStack, redo: this.redoStack, selected: this.selected }; },
    restore(s, readonly) {
      this.results = s.results; this.undoStack = s.undo; this.redoStack = s.redo; this.selected = s.selected;
      this.readonly = !!readonly; this.notify(false);
    },
    // fn mutates the results in place. key: consecutive changes with the same key within a second (typing a
    // number, dragging a box) share one undo step.
    change(fn, key) {
      if (this.readonly) return false;
      const before = JSON.stringify(this.results);
      const draft = clone(this.results);
      fn(draft);
      if (JSON.stringify(draft) === before) return false;
      const now = Date.now();
      if (!(key && key === this.lastKey && now - this.lastAt < 1000)) this.undoStack.push(JSON.parse(before));
      if (this.undoStack.length > 200) this.undoStack.shift();
      this.lastKey = key || null; this.lastAt = now;
      this.results = draft; this.redoStack = [];
      if (this.selected && !this.find(this.selected)) this.selected = null;
      this.notify(true);
      return true;
    },
    step(from, to) {
      if (this.readonly || !from.length) return;
      to.push(this.results); this.results = from.pop(); this.lastKey = null;
      if (this.selected && !this.find(this.selected)) this.selected = null;
      this.notify(true);
    },
    undo() { this.step(this.undoStack, this.redoStack); },
    redo() { this.step(this.redoStack, this.undoStack); },
    find(id) { return this.results.find((r) => r.id === id && isRegion(r)) || this.results.find((r) => r.id === id) || null; },
    regions() { return this.results.filter(isRegion); },
    select(id) {
      const next = id && this.find(id) ? id : null;
      if (next === this.selected) return;
      this.selected = next; this.notify(false);
    },
    addRegion(item) {
      const region = Object.assign({ id: uid() }, clone(item));
      if (this.results.some((r) => r.id === region.id)) region.id = uid();
      if (!this.change((rs) => { rs.push(region); })) return null;
      const facade = regionFacade(region);
      emit("entityCreate", facade);
      emit("regionFinishedDrawing", facade);
      return region.id;
    },
    // A region goes together with the per-region results (TextArea, Choices...) that share its id.
    removeRegion(id) {
      const region = this.results.find((r) => r.id === id && isRegion(r));
      if (!region) return false;
      const facade = regionFacade(region);
      if (!this.change((rs) => { for (let i = rs.length - 1; i >= 0; i--) if (rs[i].id === id) rs.splice(i, 1); })) return false;
      emit("entityDelete", facade);
      return true;
    },
    notify(changed) { this.listeners.forEach((fn) => fn(changed)); },
    serialize() { return clone(this.results); },
  };

  // ---- Facade objects for plugins, built on demand from the store (never stale, never a second source of truth).
  let config = {}; // parsed_label_config: control name -> {type, to_name, inputs, labels}

  function regionFacade(r) {
    const v = r.value || {};
    const labels = v.labels || v.rectanglelabels || v.hypertextlabels || [];
    const base = {
      id: r.id, from_name: r.from_name, to_name: r.to_name, labels, classification: false,
      get results() { return store.results.filter((x) => x.id === r.id).map(resultFacade); },
      select() { store.select(r.id); },
      deleteRegion() { store.removeRegion(r.id); },
    };
    if (typeof v.start === "number") return Object.assign(base, { type: "richtextregion", startOffset: v.start, endOffset: v.end, text: v.text });
    return Object.assign(base, { type: "rectangleregion", x: v.x, y: v.y, width: v.width, height: v.height, rotation: v.rotation || 0 });
  }

  function resultFacade(r) {
    const ctl = config[r.from_name] || {};
    return {
      id: r.id, type: r.type, value: r.value,
      from_name: { name: r.from_name, type: String(ctl.type || r.type).toLowerCase() },
      to_name: { name: r.to_name },
      area: isRegion(r) ? regionFacade(r) : { id: r.id, classification: true },
      mainValue: r.value ? r.value[r.type] : undefined,
    };
  }

  function tagFacade(name) {
    const ctl = config[name];
    if (!ctl) return undefined;
    return {
      name, type: String(ctl.type || "").toLowerCase(), to_name: ctl.to_name,
      children: (ctl.labels || []).map((value) => ({ value })),
      get result() { const r = store.results.find((x) => x.from_name === name && !isRegion(x)); return r ? resultFacade(r) : null; },
      submitChanges() { store.notify(true); },
    };
  }

  // Results from a plugin: kept only when they name a control of this configuration (when one is known).
  function deserializeResults(results) {
    const list = (Array.isArray(results) ? results : [results]).filter((r) =>
      r && typeof r === "object" && typeof r.type === "string" && r.value && typeof r.value === "object" &&
      typeof r.from_name === "string" && (!Object.keys(config).length || config[r.from_name]));
    return store.change((rs) => {
      for (const item of clone(list)) {
        if (!item.id) item.id = uid();
        let at = rs.findIndex((r) => r.id === item.id && r.from_name === item.from_name);
        if (at < 0 && !isRegion(item)) at = rs.findIndex((r) => r.from_name === item.from_name && !isRegion(r));
        if (at >= 0) rs[at] = item; else rs.push(item);
      }
    });
  }

  function annotationFacade() {
    return {
      id: store.meta.id, readonly: store.readonly,
      get results() { return store.results.map(resultFacade); },
      get regions() { return store.regions().map(regionFacade); },
      serializeAnnotation() { return store.serialize(); },
      deserializeResults,
      selectArea(area) { store.select(area && area.id); },
      deleteRegion(region) { return region ? store.removeRegion(region.id) : false; },
      names: { get: tagFacade },
    };
  }

  T.labeling = {
    on, off, emit,
    task: null, user: null, project: null,
    get dataObj() { return this.task ? this.task.data : null; },
    get annotation() { return annotationFacade(); },
    get regions() { return store.regions().map(regionFacade); },
  };

  Object.assign(L, {
    store, uid, clone, isRegion, regionFacade, resultFacade, annotationFacade,
    setConfig(c) { config = c && typeof c === "object" ? c : {}; },
  });
})();
