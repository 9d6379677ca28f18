// Labeling page, part 2 of 3: wires the server-rendered interface (data-control wrappers, .lsf-object elements)
// to the store. The DOM is only ever a view of the store: user input becomes a store change, and sync() paints
// the store back into the DOM (so undo, drafts and plugins need no special cases). Task data is never parsed as
// markup: highlights wrap existing text nodes and everything new is built with createElement/textContent.
(function () {
  "use strict";
  const L = window.Tessera.lsf;
  const $$ = (root, sel) => Array.from(root.querySelectorAll(sel));
  const TEXT_LABELS = new Set(["labels", "hypertextlabels"]);
  const BOX_TOOLS = new Set(["rectanglelabels", "rectangle"]);

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const toNames = (ctl) => (ctl.dataset.toName || "").split(",").filter(Boolean);

  // Code points vs the DOM's UTF-16 units: the server counts code points, selections and text nodes count units.
  const cpLength = (s) => Array.from(s).length;
  function u16At(text, cp) { let i = 0; for (const ch of text) { if (cp-- <= 0) break; i += ch.length; } return i; }

  // mount(root, ctx): ctx = {store, signal, message(text, kind), annotationKey()}; returns {sync, hotkey,
  // spanFromSelection, active, defaults, pendingText, validate}.
  L.mountControls = function (root, ctx) {
    const { store, signal } = ctx;
    const controls = $$(root, "[data-control]");
    $$(root, "input[disabled]").forEach((i) => { i.dataset.locked = "1"; }); // e.g. Taxonomy branches with leafsOnly
    const byName = new Map(controls.map((c) => [c.dataset.control, c]));
    const colors = new Map(); // "control\u0000label" and "label" -> colour
    let active = null; // {control, type, labels:[...]}: the toggled label button(s) / tool
    const hotkeys = new Map();

    $$(root, ".lsf-label").forEach((b) => {
      const color = b.style.getPropertyValue("--label-color").trim();
      const ctl = b.closest("[data-control]").dataset.control;
      colors.set(ctl + "\u0000" + b.dataset.value, color);
      if (!colors.has(b.dataset.value)) colors.set(b.dataset.value, color);
    });
    const colorOf = (label, control) => colors.get(control + "\u0000" + label) || colors.get(label) || "#888";

    // ---- results of a control: whole-object ones, or the selected region's for perRegion controls
    const perRegion = (ctl) => ctl.dataset.perRegion === "true";
    function resultOf(ctl) {
      const name = ctl.dataset.control;
      if (perRegion(ctl)) return store.selected ? store.results.find((r) => r.id === store.selected && r.from_name === name) : null;
      return store.results.find((r) => r.from_name === name && !L.isRegion(r)) || null;
    }
    function setValue(ctl, value, key) {
      const name = ctl.dataset.control;
      const region = perRegion(ctl) ? store.find(store.selected) : null;
      if (perRegion(ctl) && !region) { ctx.message("Select a region first.", "warning"); return; }
      store.change((rs) => {
        const at = rs.findIndex((r) => r.from_name === name && (region ? r.id === region.id : !L.isRegion(r)));
        if (value === null) { if (at >= 0) rs.splice(at, 1); return; }
        const item = at >= 0 ? rs[at] : { id: region ? region.id : L.uid(), from_name: name,
          to_name: region ? region.to_name : toNames(ctl)[0], type: ctl.dataset.type };
        item.value = value;
        if (at < 0) rs.push(item);
      }, key);
    }

    // ---- reading each kind of control
    const readers = {
      choices: (ctl) => { const v = $$(ctl, "input:checked").map((i) => i.value); return v.length ? { choices: v } : null; },
      taxonomy: (ctl) => { const v = $$(ctl, "input[type=checkbox]:checked").map((i) => JSON.parse(i.value)); return v.length ? { taxonomy: v } : null; },
      rating: (ctl) => { const i = ctl.querySelector("input:checked"); return i ? { rating: Number(i.value) } : null; },
      number: (ctl) => { const i = ctl.querySelector("input"); return i.value === "" || isNaN(i.valueAsNumber) ? null : { number: i.valueAsNumber }; },
      datetime: (ctl) => { const i = ctl.querySelector("input"); return i.value ? { datetime: i.value } : null; },
    };

    root.addEventListener("change", (e) => {
      const ctl = e.target.closest("[data-control]");
      if (!ctl || e.target.type === "search" || e.target.tagName === "TEXTAREA") return;
      const read = readers[ctl.dataset.type];
      if (read) setValue(ctl, read(ctl));
    }, { signal });
    root.addEventListener("input", (e) => {
      const ctl = e.target.closest("[data-control]");
      if (ctl && ctl.dataset.type === "number") setValue(ctl, readers.number(ctl), "number:" + ctl.dataset.control);
      if (e.target.classList.contains("lsf-taxonomy-search")) filterTaxonomy(ctl, e.target.value.trim().toLowerCase());
    }, { signal });

    // ---- Taxonomy search: a branch stays visible when it or something below it matches; matches open their parents.
    function filterTaxonomy(ctl, q) {
      (function walk(ul, shown) {
        let any = false;
        for (const li of ul.children) {
          const own = (li.querySelector(".lsf-taxonomy-choice span") || li).textContent.toLowerCase();
          const hit = shown || !q || own.includes(q);
          const sub = li.querySelector(":scope > details > ul");
          const below = sub ? walk(sub, hit) : false;
          li.hidden = !(hit || below);
          const details = li.querySelector(":scope > details");
          if (details && q) details.open = below;
          any = any || hit || below;
        }
        return any;
      })(ctl.querySelector(".lsf-taxonomy-branch"), false);
    }

    // ---- TextArea: an input plus "Add"; each entry is listed with a delete button (Label Studio's habit).
    const textareas = controls.filter((c) => c.dataset.type === "textarea");
    textareas.forEach((ctl) => {
      const input = ctl.querySelector("textarea");
      input.name = ctl.dataset.control + ":" + ctx.annotationKey(); // DOM convention: "<tag name>:<id>"
      const list = el("ul", "lsf-entries plain");
      const add = el("button", "small lsf-add", "Add");
      add.type = "button";
      ctl.insertBefore(list, input);
      ctl.appendChild(add);
      const submit = () => {
        const text = input.value.trim();
        if (!text) return;
        const r = resultOf(ctl);
        const max = Number(ctl.dataset.maxSubmissions || 0);
        const texts = r ? r.value.text.slice() : [];
        if (max && texts.length >= max) { ctx.message("At most " + max + " entries for " + ctl.dataset.control + ".", "warning"); return; }
        texts.push(text);
        setValue(ctl, { text: texts });
        input.value = "";
      };
      add.addEventListener("click", submit, { signal });
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.metaKey) { e.preventDefault(); submit(); }
      }, { signal });
      list.addEventListener("click", (e) => {
        const del = e.target.closest("[data-entry]");
        const r = del && resultOf(ctl);
        if (!r) return;
        const texts = r.value.text.filter((_, i) => i !== Number(del.dataset.entry));
        setValue(ctl, texts.length ? { text: texts } : null);
      }, { signal });
      ctl._submit = submit;
    });

    // ---- Labels and tools: a label button stays toggled until another is chosen (or it is clicked again);
    // with a region of that control selected, the click relabels the region instead.
    root.addEventListener("click", (e) => {
      const button = e.target.closest(".lsf-label, .lsf-tool");
      if (!button || store.readonly) return;
      const ctl = button.closest("[data-control]");
      const name = ctl.dataset.control, type = ctl.dataset.type, value = button.dataset.value;
      const region = store.find(store.selected);
      if (value !== undefined && region && region.from_name === name) {
        store.change((rs) => { rs.filter((r) => r.id === region.id && r.from_name === name).forEach((r) => { r.value[type] = [value]; }); });
        return;
      }
      const same = active && active.control === name && (value === undefined || active.labels[0] === value);
      active = same ? null : { control: name, type, labels: value === undefined ? [] : [value] };
      paintActive();
      if (active && TEXT_LABELS.has(type)) spanFromSelection(); // a selection made before picking the label
    }, { signal });

    function paintActive() {
      $$(root, ".lsf-label, .lsf-tool").forEach((b) => {
        const ctl = b.closest("[data-control]").dataset.control;
        const on = !!active && active.control === ctl && (b.dataset.value === undefined || active.labels.includes(b.dataset.value));
        b.classList.toggle("lsf-label_active", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }

    // ---- Text spans
    const objects = $$(root, ".lsf-text[data-name], .lsf-hypertext[data-name]");

    function usageProblem(ctl, label) {
      const used = store.results.filter((r) => r.from_name === ctl.dataset.control && L.isRegion(r));
      const button = $$(ctl, ".lsf-label").find((b) => b.dataset.value === label);
      const perLabel = Number((button && button.dataset.maxUsages) || 0);
      const total = Number(ctl.dataset.maxUsages || 0);
      const count = used.filter((r) => (r.value[ctl.dataset.type] || []).includes(label)).length;
      if (perLabel && count >= perLabel) return "The label \u201c" + label + "\u201d can be used at most " + perLabel + " times.";
      if (total && used.length >= total) return ctl.dataset.control + " can be used at most " + total + " times.";
      return null;
    }

    // Turns the current DOM selection into a span of the active text label; true when one was made.
    function spanFromSelection() {
      const sel = window.getSelection();
      if (!active || !TEXT_LABELS.has(active.type) || !sel || sel.isCollapsed || !sel.rangeCount) return false;
      const range = sel.getRangeAt(0);
      const ctl = byName.get(active.control);
      const obj = objects.find((o) => o.contains(range.startContainer) && o.contains(range.endContainer) && toNames(ctl).includes(o.dataset.name));
      if (!obj) return false;
      const text = obj.textContent;
      const pre = document.createRange();
      pre.selectNodeContents(obj);
      pre.setEnd(range.startContainer, range.startOffset);
      let start = cpLength(text.slice(0, pre.toString().length));
      pre.setEnd(range.endContainer, range.endOffset);
      let end = cpLength(text.slice(0, pre.toString().length));
      const cps = Array.from(text);
      if (obj.dataset.granularity === "word") { // widen to whole words
        while (start > 0 && /[\p{L}\p{N}_]/u.test(cps[start - 1])) start--;
        while (end < cps.length && /[\p{L}\p{N}_]/u.test(cps[end])) end++;
      }
      while (start < end && /\s/.test(cps[start])) start++; // a stray space at either end is never meant
      while (end > start && /\s/.test(cps[end - 1])) end--;
      sel.removeAllRanges();
      if (start >= end) return false;
      const label = active.labels[0];
      const problem = usageProblem(ctl, label);
      if (problem) { ctx.message(problem, "warning"); return true; }
      store.addRegion({ from_name: active.control, to_name: obj.dataset.name, type: active.type,
        value: { start, end, text: cps.slice(start, end).join(""), [active.type]: [label] } });
      return true;
    }
    document.addEventListener("mouseup", (e) => { if (objects.some((o) => o.contains(e.target))) setTimeout(spanFromSelection, 0); }, { signal });
    root.addEventListener("click", (e) => {
      const span = e.target.closest(".lsf-span");
      if (!span) return;
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;
      store.select(store.selected === span.dataset.regionId ? null : span.dataset.regionId);
    }, { signal });

    function paintSpans() {
      objects.forEach((obj) => {
        $$(obj, ".lsf-span").forEach((s) => s.replaceWith(...s.childNodes));
        obj.normalize();
        const text = obj.textContent;
        store.results.filter((r) => r.to_name === obj.dataset.name && L.isRegion(r) && typeof r.value.start === "number")
          .forEach((r) => {
            const labels = r.value[r.type] || [];
            wrap(obj, u16At(text, r.value.start), u16At(text, r.value.end), (last) => {
              const s = el("span", "lsf-span" + (r.id === store.selected ? " lsf-span_selected" : ""));
              s.dataset.regionId = r.id;
              s.style.setProperty("--label-color", colorOf(labels[0], r.from_name));
              if (last) { s.classList.add("lsf-span_end"); s.dataset.label = labels.join(", "); }
              return s;
            });
          });
      });
    }

    // Wraps the UTF-16 range [a, b) of obj's text in spans made by make(isLast), one per text node it crosses.
    function wrap(obj, a, b, make) {
      const walker = document.createTreeWalker(obj, NodeFilter.SHOW_TEXT);
      const parts = [];
      for (let pos = 0, node; (node = walker.nextNode()) && pos < b; pos += node.data.length) {
        const from = Math.max(a, pos) - pos, to = Math.min(b, pos + node.data.length) - pos;
        if (from < to) parts.push([node, from, to]);
      }
      parts.forEach(([node, from, to], i) => {
        if (to < node.data.length) node.splitText(to);
        const piece = from > 0 ? node.splitText(from) : node;
        const span = make(i === parts.length - 1);
        piece.parentNode.insertBefore(span, piece);
        span.appendChild(piece);
      });
    }

    // ---- Regions panel (side bar)
    const panel = document.getElementById("lsf-regions");
    function paintRegions() {
      if (!panel) return;
      const regions = store.regions();
      panel.replaceChildren(...regions.map((r, i) => {
        const labels = r.value[r.type] || [];
        const v = r.value;
        const li = el("li", "lsf-region" + (r.id === store.selected ? " lsf-region_selected" : ""));
        li.style.setProperty("--label-color", colorOf(labels[0], r.from_name));
        const pick = el("button", "lsf-region-pick");
        pick.type = "button"; pick.dataset.regionId = r.id;
        pick.setAttribute("aria-pressed", r.id === store.selected ? "true" : "false");
        pick.append(el("span", "lsf-region-num", String(i + 1)), el("span", "lsf-region-label", labels.join(", ") || r.type),
          el("span", "lsf-region-text", typeof v.text === "string" ? v.text.slice(0, 80)
            : typeof v.x === "number" ? Math.round(v.width) + "\u00d7" + Math.round(v.height) + "% at " + Math.round(v.x) + "," + Math.round(v.y) : ""));
        const del = el("button", "small lsf-region-delete", "\u00d7");
        del.type = "button"; del.dataset.deleteRegion = r.id; del.title = "Delete region"; del.setAttribute("aria-label", "Delete region");
        del.hidden = store.readonly;
        li.append(pick, del);
        return li;
      }));
      const empty = document.getElementById("lsf-regions-empty");
      if (empty) empty.hidden = regions.length > 0;
      const count = document.getElementById("lsf-region-count");
      if (count) count.textContent = regions.length ? String(regions.length) : "";
    }
    if (panel) panel.addEventListener("click", (e) => {
      const del = e.target.closest("[data-delete-region]");
      if (del) { store.removeRegion(del.dataset.deleteRegion); return; }
      const pick = e.target.closest("[data-region-id]");
      if (pick) store.select(store.selected === pick.dataset.regionId ? null : pick.dataset.regionId);
    }, { signal });

    // ---- Hotkeys: explicit ones first, then digits 1-9 for the rest, in document order (Label Studio's habit).
    const keyed = $$(root, ".lsf-choices input, .lsf-label");
    const used = new Set(keyed.map((k) => k.dataset.hotkey).filter(Boolean).map((k) => k.toLowerCase()));
    let digit = 1;
    keyed.forEach((k) => {
      if (!k.dataset.hotkey) {
        while (digit <= 9 && used.has(String(digit))) digit++;
        if (digit > 9) return;
        k.dataset.hotkey = String(digit++);
        (k.tagName === "INPUT" ? k.closest("label") : k).appendChild(el("kbd", "lsf-hotkey", k.dataset.hotkey));
      }
      const key = k.dataset.hotkey.toLowerCase();
      if (!hotkeys.has(key)) hotkeys.set(key, []);
      hotkeys.get(key).push(k);
    });
    function hotkey(e) {
      const key = (e.shiftKey && e.key.length === 1 ? "shift+" : "") + e.key.toLowerCase();
      const targets = (hotkeys.get(key) || hotkeys.get(e.key.toLowerCase()) || []).filter((k) => !k.disabled && !k.closest("[hidden]"));
      if (!targets.length) return false;
      targets[0].click();
      return true;
    }

    // ---- Conditional visibility (visibleWhen) and per-region controls, re-evaluated on every sync.
    function visible(node) {
      const when = node.dataset.visibleWhen;
      const tag = node.dataset.whenTagName;
      const wanted = (node.dataset.whenChoiceValue || node.dataset.whenLabelValue || "").split(",").map((s) => s.trim()).filter(Boolean);
      const region = store.find(store.selected);
      if (when === "choice-selected" || when === "choice-unselected") {
        const chosen = store.results.filter((r) => (!tag || r.from_name === tag) && (r.type === "choices" || r.type === "taxonomy"))
          .flatMap((r) => (r.value.choices || (r.value.taxonomy || []).flat()));
        const hit = wanted.length ? wanted.some((w) => chosen.includes(w)) : chosen.length > 0;
        return when === "choice-selected" ? hit : !hit;
      }
      if (when === "region-selected") {
        return !!region && (!tag || region.from_name === tag) && (!wanted.length || wanted.some((w) => (region.value[region.type] || []).includes(w)));
      }
      if (when === "no-region-selected") return !region;
      return true;
    }

    // ---- Painting the store into the DOM
    function paintControl(ctl) {
      const r = resultOf(ctl);
      const v = r ? r.value : {};
      const type = ctl.dataset.type;
      const inputs = $$(ctl, "input:not(.lsf-taxonomy-search), textarea, button:not(.lsf-label):not(.lsf-tool)");
      inputs.forEach((i) => { i.disabled = !!i.dataset.locked || store.readonly || (perRegion(ctl) && !store.selected); });
      if (type === "choices") $$(ctl, "input").forEach((i) => { i.checked = (v.choices || []).includes(i.value); });
      if (type === "taxonomy") {
        const chosen = new Set((v.taxonomy || []).map((p) => JSON.stringify(p)));
        $$(ctl, "input[type=checkbox]").forEach((i) => { i.checked = chosen.has(JSON.stringify(JSON.parse(i.value))); });
      }
      if (type === "rating") {
        $$(ctl, "input").forEach((i) => {
          i.checked = Number(i.value) === v.rating;
          i.closest("label").classList.toggle("lsf-star_on", Number(i.value) <= (v.rating || 0));
        });
      }
      if (type === "number") setInput(ctl.querySelector("input"), v.number === undefined ? "" : String(v.number));
      if (type === "datetime") setInput(ctl.querySelector("input"), v.datetime || "");
      if (type === "textarea") {
        const list = ctl.querySelector(".lsf-entries");
        list.replaceChildren(...(v.text || []).map((t, i) => {
          const li = el("li", "lsf-entry");
          const del = el("button", "small", "\u00d7");
          del.type = "button"; del.dataset.entry = String(i); del.setAttribute("aria-label", "Delete entry"); del.hidden = store.readonly;
          li.append(el("span", "lsf-entry-text", t), del);
          return li;
        }));
        const full = Number(ctl.dataset.maxSubmissions || 0) && (v.text || []).length >= Number(ctl.dataset.maxSubmissions);
        ctl.querySelector("textarea").hidden = !!full;
        ctl.querySelector(".lsf-add").hidden = !!full || store.readonly;
      }
      if (type === "labels" || BOX_TOOLS.has(type) || TEXT_LABELS.has(type)) $$(ctl, ".lsf-label, .lsf-tool").forEach((b) => { b.disabled = store.readonly; });
    }
    function setInput(input, value) { if (input.value !== value && !(document.activeElement === input && input.type === "number")) input.value = value; }

    function sync() {
      controls.forEach(paintControl);
      $$(root, "[data-visible-when]").forEach((n) => { n.hidden = !visible(n); });
      controls.filter(perRegion).forEach((c) => { if (!c.dataset.visibleWhen) c.hidden = !store.selected; });
      if (store.readonly && active) active = null;
      paintActive();
      paintSpans();
      paintRegions();
    }

    // Preselected choices, default numbers and ratings: the starting results of a brand-new annotation.
    function defaults() {
      const out = [];
      controls.forEach((ctl) => {
        if (perRegion(ctl)) return;
        const type = ctl.dataset.type;
        let value = null;
        if (type === "choices" || type === "number") value = readers[type](ctl);
        if (type === "rating" && ctl.dataset.default) value = { rating: Number(ctl.dataset.default) };
        if (value) out.push({ id: L.uid(), from_name: ctl.dataset.control, to_name: toNames(ctl)[0], type, value });
      });
      return out;
    }

    // Text typed into a TextArea but not yet added: added before saving, so nothing typed is lost.
    function flushText() { textareas.forEach((c) => { if (!c.hidden && c.querySelector("textarea").value.trim()) c._submit(); }); }

    // Required controls that are visible and empty, named for the message.
    function missing() {
      return controls.filter((ctl) => ctl.dataset.required === "true" && !ctl.closest("[hidden]") && !perRegion(ctl)).filter((ctl) => {
        const name = ctl.dataset.control;
        if (TEXT_LABELS.has(ctl.dataset.type) || BOX_TOOLS.has(ctl.dataset.type)) return !store.results.some((r) => r.from_name === name);
        return !resultOf(ctl);
      }).map((ctl) => ctl.getAttribute("aria-label") || ctl.dataset.control);
    }

    return { sync, hotkey, spanFromSelection, defaults, flushText, missing, colorOf,
      active: () => active, clearActive() { active = null; paintActive(); } };
  };
  if (L.kick) L.kick(); // editor.js loaded first (out-of-order script loading): start now
})();
