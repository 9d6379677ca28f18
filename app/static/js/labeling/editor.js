// Labeling page, part 3 of 3: the life of one task on the page. Reads #lsf-state, starts the store from the
// draft / annotation / prediction, mounts the controls (controls.js) and image regions (image.js), and talks to
// the server: Submit / Update / Skip through htmx (which swaps in the next task), drafts through fetch/beacon.
// A new session starts whenever a new #lsf-state appears (first load, htmx swap, history restore); the previous
// one is torn down first (its listeners share one AbortController).
(function () {
  "use strict";
  const T = window.Tessera, L = T && T.lsf, lab = T && T.labeling;
  if (!L || !L.store || L.booted) return;
  L.booted = true;
  const store = L.store;
  const BOX = new Set(["rectanglelabels", "rectangle"]);
  const byId = (id) => document.getElementById(id);

  let session = null, stateEl = null, lastTaskId = null;
  let pending = null; // the save htmx is sending: {kind, url, store, annotation, failed(status)}

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function showMessages(list, kind) {
    const box = byId("lsf-messages");
    if (!box) return;
    if (!list || !list.length) { box.replaceChildren(); return; }
    const div = el("div", "alert alert-" + (kind || "error") + " lsf-errors");
    const ul = el("ul");
    list.forEach((t) => ul.appendChild(el("li", null, t)));
    div.appendChild(ul);
    box.replaceChildren(div);
  }

  function boot() {
    const found = byId("lsf-state");
    if (session && stateEl && !stateEl.isConnected) { session.destroy(); session = null; }
    if (!found || (found === stateEl && session)) return;
    stateEl = found;
    try { session = start(JSON.parse(found.textContent)); } catch (err) { console.error("Tessera labeling: cannot start", err); session = null; }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
  ["htmx:afterSwap", "htmx:load", "htmx:historyRestore"].forEach((ev) => document.addEventListener(ev, boot));
  // Scripts may arrive out of order after a boosted navigation; controls.js may load after this file.
  L.kick = boot;

  // ---- Responses to our saves: events after the server accepted; errors never replace the editor.
  const ours = (d) => {
    const cfg = (d && d.requestConfig) || {};
    return pending && !(cfg.verb && cfg.verb.toLowerCase() !== "post") && !(cfg.path && cfg.path !== pending.url);
  };
  // Reported before the next task is swapped in, so the handlers of the run that saved are the ones told.
  function reportAccepted() {
    if (pending.reported) return;
    pending.reported = true;
    if (pending.kind !== "skip") lab.emit(pending.kind === "update" ? "updateAnnotation" : "submitAnnotation", pending.store, pending.annotation);
  }
  document.addEventListener("htmx:beforeSwap", (e) => {
    const d = e.detail;
    if (!ours(d) || !d.xhr) return;
    if (d.xhr.status < 400) { reportAccepted(); return; }
    if (d.xhr.status === 422) {
      if (d.target && d.target.id === "lsf-task") { d.target = byId("lsf-messages"); d.swapOverride = "innerHTML"; }
      return;
    }
    d.shouldSwap = false;
  });
  document.addEventListener("htmx:afterRequest", (e) => {
    const d = e.detail || {};
    if (!ours(d)) return;
    const status = d.xhr ? d.xhr.status : 0;
    if (status >= 200 && status < 300) reportAccepted(); else pending.failed(status);
    pending = null;
  });

  function start(state) {
    const ac = new AbortController();
    const signal = ac.signal;
    const listen = (target, ev, fn) => target && target.addEventListener(ev, fn, { signal });
    const section = byId("lsf-task");
    lab.task = state.task ? { id: state.task.id, data: state.task.data } : null;
    lab.user = state.user || null;
    lab.project = state.project || null;
    L.setConfig(state.project && state.project.parsed_label_config);
    showMessages(null);
    // The stream answers its first request with a task: the address names it, so reload and back find it again.
    const here = state.urls && state.urls.self;
    if (here && location.pathname + location.search !== here) history.replaceState(history.state, "", here);
    if (!state.task || !section) { lastTaskId = null; return { destroy() { ac.abort(); } }; }

    const root = byId("lsf-annotation");
    const project = state.project || {};
    const annotations = state.annotations || [];
    const predictions = state.predictions || [];
    const copies = new Map(); // annotation key -> store snapshot, so switching back keeps unsaved work
    const draftIds = new Map(); // annotation key -> draft id
    let current = null, version = null, parentPrediction = null, revealed = false;
    let dirty = false, alive = true, draftTimer = 0, mounts = [], imageTimer = 0;
    let leadBase = 0, shownAt = document.hidden ? null : performance.now();
    const keyOf = (a) => (a ? String(a.id) : "new");
    const readonlyOf = (a) => !!state.readonly || (!!a && a.editable === false);
    const leadTime = () => leadBase + (shownAt === null ? 0 : (performance.now() - shownAt) / 1000);
    const storeFacade = () => ({ selected: L.annotationFacade(), annotations: annotations.map((a) => ({ id: a.id, result: a.result })) });
    const setNote = (text) => { const n = byId("lsf-note"); if (n) n.textContent = text; };

    const ctrls = L.mountControls(root, {
      store, signal, annotationKey: () => keyOf(current),
      message: (text, kind) => showMessages([text], kind || "warning"),
    });

    // ---- Where the work starts: draft, else the selected annotation, else the first prediction, else defaults.
    // Work this tab sent as a beacon when it went away may reach the server after the page that follows (a
    // reload races its own beacon): a copy kept in sessionStorage for a minute stands in for that draft.
    const stashKey = "tessera:draft:" + (state.user ? state.user.id : "") + ":" + state.task.id;
    let stash = null;
    try { stash = JSON.parse(sessionStorage.getItem(stashKey) || "null"); sessionStorage.removeItem(stashKey); } catch (err) { stash = null; }
    const stashFor = stash && stash.annotation === null ? null : annotations.find((a) => stash && a.id === stash.annotation);
    if (!(stash && Date.now() - stash.at < 60000 && Array.isArray(stash.result) &&
          (stash.annotation === null ? !annotations.some((a) => a.mine && !a.was_cancelled) : stashFor))) stash = null;
    const draft = stash ? { id: state.draft && state.draft.annotation_id === stash.annotation ? state.draft.id : null,
      result: stash.result, lead_time: stash.lead_time, annotation_id: stash.annotation } : state.draft;
    current = annotations.find((a) => draft && a.id === draft.annotation_id) || annotations.find((a) => a.id === state.selected) || null;
    let initial;
    if (draft && !readonlyOf(current)) {
      initial = draft.result;
      if (draft.id) draftIds.set(keyOf(current), draft.id);
      leadBase = Number(draft.lead_time) || 0;
      setNote("Draft restored");
    } else if (current) {
      initial = current.result;
    } else if (predictions.length && !project.reveal_predictions) {
      initial = predictions[0].result;
      parentPrediction = predictions[0].id;
    } else {
      initial = ctrls.defaults();
    }
    store.meta.id = current ? current.id : null;
    store.load(initial, readonlyOf(current));
    const startResults = L.clone(store.results);

    function onStore(changed) {
      render();
      if (changed) scheduleDraft();
    }
    store.listeners.add(onStore);

    function render() {
      ctrls.sync();
      mounts.forEach((m) => { try { m.render(); } catch (err) { console.error(err); } });
      paint();
    }

    // ---- Image regions: image.js draws, the store keeps the results (see the interface in the brief/docs).
    function imageApi(name) {
      const api = {
        name,
        get readonly() { return store.readonly; },
        regions: () => store.results.filter((r) => r.to_name === name && BOX.has(r.type)),
        activeLabels() {
          const a = ctrls.active();
          if (!a || !BOX.has(a.type)) return null;
          const ctl = root.querySelector('[data-control="' + CSS.escape(a.control) + '"]');
          if (!ctl || !(ctl.dataset.toName || "").split(",").includes(name)) return null;
          return { control: a.control, type: a.type, labels: a.labels.slice() };
        },
        create(item) {
          const a = api.activeLabels();
          const full = Object.assign({ to_name: name }, L.clone(item));
          full.value = full.value || {};
          if (a) {
            full.from_name = full.from_name || a.control;
            full.type = full.type || a.type;
            if (full.type === "rectanglelabels" && !full.value.rectanglelabels) full.value.rectanglelabels = a.labels.slice();
          }
          if (!full.from_name || !full.type || store.readonly) return null;
          return store.addRegion(full);
        },
        update(id, patch) {
          store.change((rs) => rs.forEach((r) => { if (r.id === id && BOX.has(r.type)) Object.assign(r.value, patch); }), "update:" + id);
        },
        remove: (id) => store.removeRegion(id),
        select: (id) => store.select(id),
        selected: () => store.selected,
        colorOf: (label) => ctrls.colorOf(label),
      };
      return api;
    }
    function mountImages() {
      const IR = T.imageRegions;
      if (!IR || typeof IR.mount !== "function") return false;
      mounts = Array.from(root.querySelectorAll(".lsf-image[data-name]")).map((obj) => {
        try { return IR.mount(obj, imageApi(obj.dataset.name)); } catch (err) { console.error(err); return null; }
      }).filter(Boolean);
      return true;
    }
    if (root.querySelector(".lsf-image[data-name]") && !mountImages()) {
      let tries = 0; // image.js may still be loading (boosted navigation loads scripts asynchronously)
      imageTimer = setInterval(() => { if (mountImages() || ++tries > 50) { clearInterval(imageTimer); render(); } }, 100);
    }

    // ---- Buttons, annotation tabs and notes
    function show(name, yes) { const b = section.querySelector('[data-lsf="' + name + '"]'); if (b) b.hidden = !yes; }
    function paint() {
      const ro = store.readonly;
      section.classList.toggle("lsf-readonly", ro);
      show("submit", !version && !current && !ro);
      show("update", !version && !!current && !ro && !!current.update_url);
      show("skip", !version && !current && !state.readonly && !!project.allow_skip);
      show("back", !!version);
      show("history", !!(current && current.history_url));
      show("predictions", !!project.reveal_predictions && predictions.length > 0 && !revealed && !current && !ro && !version);
      ["undo", "reset"].forEach((n) => { const b = section.querySelector('[data-lsf="' + n + '"]'); if (b) b.disabled = ro || !store.undoStack.length; });
      const redo = section.querySelector('[data-lsf="redo"]');
      if (redo) redo.disabled = ro || !store.redoStack.length;
      const viewing = byId("lsf-viewing");
      if (viewing) {
        const who = current && current.completed_by ? current.completed_by.email : "";
        viewing.textContent = version ? "Viewing an earlier version (read-only)" : ro && current ? "Annotation by " + who + " (read-only)" : ro ? "Read-only" : "";
        viewing.hidden = !viewing.textContent;
      }
      paintTabs();
    }
    function paintTabs() {
      const box = byId("lsf-annotations");
      if (!box) return;
      const others = annotations.length > 1 || (annotations.length === 1 && !annotations[0].mine);
      box.hidden = !others;
      if (!others) return;
      const tabs = [];
      if (!annotations.some((a) => a.mine) && !state.readonly) tabs.push(["new", "New annotation"]);
      annotations.forEach((a) => tabs.push([String(a.id), "#" + a.id + " " + ((a.completed_by && a.completed_by.email) || "unknown") +
        (a.mine ? " (you)" : "") + (a.was_cancelled ? " \u00b7 skipped" : "") + (readonlyOf(a) ? " \u00b7 read-only" : "")]));
      box.replaceChildren(...tabs.map(([key, text]) => {
        const b = el("button", "small lsf-annotation-tab", text);
        b.type = "button";
        b.dataset.annotation = key;
        b.setAttribute("aria-pressed", key === keyOf(current) && !version ? "true" : "false");
        return b;
      }));
    }

    const announce = (prev) => lab.emit("selectAnnotation", L.annotationFacade(), prev, {});
    function switchTo(key) {
      const next = key === "new" ? null : annotations.find((a) => String(a.id) === key);
      if (key !== "new" && !next) return;
      if (version) leaveVersion();
      if (next === current) return;
      saveDraft();
      const prev = L.annotationFacade();
      copies.set(keyOf(current), store.snapshot());
      current = next;
      store.meta.id = current ? current.id : null;
      const copy = copies.get(keyOf(current));
      if (copy) store.restore(copy, readonlyOf(current));
      else store.load(current ? current.result : [], readonlyOf(current));
      announce(prev);
    }

    // ---- History: versions load into the side panel; a clicked version is shown read-only.
    function loadHistory() {
      if (!current || !current.history_url) return;
      byId("lsf-history-panel").hidden = false;
      htmx.ajax("GET", current.history_url, { target: "#lsf-history", swap: "innerHTML" });
    }
    function showVersion(button) {
      let result;
      try { result = JSON.parse(button.dataset.result); } catch (err) { return; }
      saveDraft();
      const prev = L.annotationFacade();
      if (!version) copies.set(keyOf(current), store.snapshot());
      version = { id: button.dataset.versionId };
      document.querySelectorAll("#lsf-history .lsf-version").forEach((b) => b.classList.toggle("lsf-version_shown", b === button));
      store.load(result, true);
      announce(prev);
    }
    function leaveVersion() {
      version = null;
      document.querySelectorAll("#lsf-history .lsf-version_shown").forEach((b) => b.classList.remove("lsf-version_shown"));
      const prev = L.annotationFacade();
      store.restore(copies.get(keyOf(current)), readonlyOf(current));
      announce(prev);
    }

    // ---- Saving: required check, beforeSaveAnnotation, then htmx swaps the answer into #lsf-task.
    async function beforeSave(kind, annotation) {
      const answers = lab.emit("beforeSaveAnnotation", storeFacade(), annotation, { event: kind === "update" ? "updateAnnotation" : "submitAnnotation" });
      if (!answers.length) return true;
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve("timeout"), 10000); });
      const all = Promise.all(answers.map((a) => Promise.resolve(a).catch((err) => { console.error(err); return undefined; })));
      const out = await Promise.race([all, timeout]);
      clearTimeout(timer);
      if (out === "timeout") { console.warn("Tessera labeling: beforeSaveAnnotation handlers took over 10 s; saving anyway"); return true; }
      return !out.includes(false);
    }
    function send(kind, url, values) {
      clearTimeout(draftTimer);
      const wasDirty = dirty;
      dirty = false; // the server consumes the draft with the save
      pending = {
        kind, url, store: storeFacade(), annotation: L.annotationFacade(),
        failed(status) {
          if (!alive) return;
          dirty = wasDirty || dirty;
          if (status !== 422) showMessages([status ? "The server could not save (error " + status + "). Your work is still here; try again."
            : "The server could not be reached. Your work is still here; try again."]);
        },
      };
      showMessages(null);
      htmx.ajax("POST", url, { target: "#lsf-task", swap: "outerHTML", values }).catch(() => {});
    }
    async function save(kind) {
      if (pending || version || store.readonly) return;
      if (kind === "update" ? !(current && current.update_url) : current) return;
      ctrls.flushText();
      const problems = ctrls.missing().map((name) => "\u201c" + name + "\u201d is required.");
      if (!problems.length && project.allow_empty === false && !store.results.length) problems.push("The annotation is empty: label something before submitting.");
      if (problems.length) { showMessages(problems); return; }
      pending = { kind: "checking", url: "", failed() {} }; // blocks a second Ctrl+Enter while plugins decide
      let go = false;
      try { go = await beforeSave(kind, L.annotationFacade()); } finally { pending = null; }
      if (state.testing) { tested(kind, go); return; }
      if (!go || !alive) return;
      const values = { result: JSON.stringify(store.serialize()), lead_time: leadTime().toFixed(3) };
      if (draftIds.get(keyOf(current))) values.draft_id = draftIds.get(keyOf(current));
      if (parentPrediction && !current) values.parent_prediction = parentPrediction;
      if (state.stream) values.stream = "1";
      send(kind, kind === "update" ? current.update_url : state.urls.submit, values);
    }
    // Testing mode (the plugin panel's frame, state.testing): nothing is ever sent; the outcome is shown here and
    // announced to the panel as a "tessera:testing-save" event on this window.
    function tested(kind, go) {
      const what = kind === "skip" ? "Skip" : kind === "update" ? "Update" : "Submit";
      const text = kind === "skip" ? "Testing: the skip would be sent (nothing was sent)."
        : go ? "Testing: the plugins let the " + what.toLowerCase() + " through; it would be sent (nothing was sent)."
          : "Testing: a plugin cancelled the " + what.toLowerCase() + " (beforeSaveAnnotation returned false).";
      showMessages([text], go ? "info" : "warning");
      window.dispatchEvent(new CustomEvent("tessera:testing-save", { detail: { kind, sent: false, cancelled: !go, message: text } }));
    }
    function skip() {
      if (pending || version || current || state.readonly || !project.allow_skip) return;
      const dialog = byId("lsf-skip-dialog");
      if (!project.require_skip_comment || !dialog) { doSkip(""); return; }
      byId("lsf-skip-error").hidden = true;
      byId("lsf-skip-comment").value = "";
      dialog.showModal();
    }
    function doSkip(comment) {
      lab.emit("skipTask", storeFacade(), { comment });
      if (state.testing) { tested("skip", true); return; }
      const values = { lead_time: leadTime().toFixed(3) };
      if (comment) values.comment = comment;
      if (state.stream) values.stream = "1";
      send("skip", state.urls.skip, values);
    }
    listen(byId("lsf-skip-form"), "submit", (e) => {
      const comment = byId("lsf-skip-comment").value.trim();
      if (e.submitter && e.submitter.value === "skip" && !comment) { e.preventDefault(); byId("lsf-skip-error").hidden = false; }
    });
    listen(byId("lsf-skip-dialog"), "close", (e) => {
      if (e.target.returnValue === "skip") doSkip(byId("lsf-skip-comment").value.trim());
      e.target.returnValue = "";
    });

    // ---- Drafts: debounced fetch after changes; a beacon when the page goes away.
    const canDraft = () => !!(state.urls && state.urls.draft) && !store.readonly && !version && alive;
    function scheduleDraft() {
      if (!canDraft()) return;
      dirty = true;
      clearTimeout(draftTimer);
      draftTimer = setTimeout(saveDraft, 1500);
    }
    function draftForm() {
      const fd = new FormData();
      fd.append("result", JSON.stringify(store.serialize()));
      fd.append("lead_time", leadTime().toFixed(3));
      if (current) fd.append("annotation_id", current.id);
      return fd;
    }
    function saveDraft() {
      clearTimeout(draftTimer);
      if (!dirty || !canDraft()) return;
      dirty = false;
      const key = keyOf(current);
      fetch(state.urls.draft, { method: "POST", body: draftForm(), headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error("draft " + r.status))))
        .then((j) => {
          if (j && j.id) draftIds.set(key, j.id);
          if (alive) setNote("Draft saved " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
        })
        .catch(() => { if (alive && !pending) dirty = true; });
    }
    function beaconDraft() {
      if (!dirty || !canDraft()) return;
      try {
        sessionStorage.setItem(stashKey, JSON.stringify({ annotation: current ? current.id : null, result: store.serialize(),
          lead_time: leadTime(), at: Date.now() }));
      } catch (err) { /* storage blocked or full: the beacon alone will do */ }
      if (!navigator.sendBeacon) return;
      const fd = draftForm();
      fd.append("csrf_token", csrf());
      if (navigator.sendBeacon(state.urls.draft, fd)) dirty = false;
    }
    // beforeunload comes before a reload or navigation asks for the next page (pagehide only once that page
    // arrives, too late for it to show the draft); pagehide still covers a closed tab.
    listen(window, "beforeunload", beaconDraft);
    listen(window, "pagehide", beaconDraft);
    listen(document, "visibilitychange", () => {
      if (document.hidden) { leadBase = leadTime(); shownAt = null; beaconDraft(); } else if (shownAt === null) shownAt = performance.now();
    });

    // ---- Predictions revealed on demand (reveal_predictions)
    function showPredictions() {
      const p = predictions[0];
      if (!p) return;
      const taken = new Set(store.results.map((r) => r.id));
      const remap = new Map(); // per-region results share their region's id: keep pairs together
      const items = L.clone(p.result || []).map((r) => {
        if (taken.has(r.id)) { if (!remap.has(r.id)) remap.set(r.id, L.uid()); r.id = remap.get(r.id); }
        return r;
      });
      revealed = true;
      if (store.change((rs) => { rs.push(...items); })) parentPrediction = p.id;
      paint();
    }

    // ---- Instructions: opened once per session and project, then on demand.
    const instructions = byId("lsf-instructions");
    if (instructions && project.show_instructions) {
      const key = "tessera:instructions:" + project.id;
      try { if (!sessionStorage.getItem(key)) { sessionStorage.setItem(key, "1"); instructions.showModal(); } } catch (err) { /* storage blocked */ }
    }

    const actions = {
      submit: () => save("submit"), update: () => save("update"), skip,
      undo: () => store.undo(), redo: () => store.redo(),
      reset: () => store.change((rs) => { rs.splice(0, rs.length, ...L.clone(startResults)); }),
      predictions: showPredictions, back: leaveVersion, history: loadHistory,
      instructions: () => instructions && instructions.showModal(),
      keys: (b) => { const p = byId("lsf-keys"); p.hidden = !p.hidden; b.setAttribute("aria-expanded", String(!p.hidden)); },
    };
    listen(section, "click", (e) => {
      const b = e.target.closest("[data-lsf]");
      if (b && actions[b.dataset.lsf]) { actions[b.dataset.lsf](b); return; }
      const tab = e.target.closest("[data-annotation]");
      if (tab) { switchTo(tab.dataset.annotation); return; }
      const v = e.target.closest("#lsf-history .lsf-version");
      if (v) showVersion(v);
    });

    // ---- Keyboard: Ctrl+Enter works everywhere; the rest not while typing or with a dialog open.
    const typing = (t) => t && (t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
      (t.tagName === "INPUT" && !/^(radio|checkbox|button|submit|range|color|file)$/.test(t.type)));
    listen(document, "keydown", (e) => {
      const mod = e.ctrlKey || e.metaKey;
      if (document.querySelector("dialog[open]")) return;
      if (mod && e.key === "Enter") { e.preventDefault(); save(current ? "update" : "submit"); return; }
      if (typing(e.target) || e.altKey) return;
      if (e.ctrlKey && (e.code === "Space" || e.key === " ")) { e.preventDefault(); skip(); return; }
      if (mod && (e.key === "z" || e.key === "Z")) { e.preventDefault(); if (e.shiftKey) store.redo(); else store.undo(); return; }
      if (mod && (e.key === "y" || e.key === "Y")) { e.preventDefault(); store.redo(); return; }
      if (mod) return;
      if (e.key === "Escape") { store.select(null); return; }
      if ((e.key === "Delete" || e.key === "Backspace") && store.selected) { e.preventDefault(); store.removeRegion(store.selected); return; }
      if (e.key === "Enter" && ctrls.spanFromSelection()) { e.preventDefault(); return; }
      if (e.key.length === 1 && !e.repeat && ctrls.hotkey(e)) e.preventDefault();
    });

    render();
    if (lastTaskId !== null && lastTaskId !== state.task.id) {
      const id = state.task.id, ann = current ? current.id : null;
      setTimeout(() => lab.emit("nextTask", id, ann), 0); // after htmx:afterRequest has reported the save
    }
    lastTaskId = state.task.id;
    if (stash) scheduleDraft(); // the server may never have had it
    lab.emit("selectAnnotation", L.annotationFacade(), null, {});

    return {
      destroy() {
        if (!pending) beaconDraft();
        alive = false;
        ac.abort();
        clearTimeout(draftTimer);
        clearInterval(imageTimer);
        store.listeners.delete(onStore);
        mounts.forEach((m) => { try { m.destroy(); } catch (err) { console.error(err); } });
        mounts = [];
      },
    };
  }
})();
