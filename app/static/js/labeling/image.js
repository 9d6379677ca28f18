/* Rectangle regions on an Image object of the labeling page.
 * Called by editor.js as Tessera.imageRegions.mount(objectEl, api) -> {render, destroy}.
 * Geometry is kept in percent of the image (Label Studio's convention), and boxes are
 * positioned with percentages inside an overlay that covers the displayed image, so
 * nothing needs recomputing when the display size changes: only the overlay follows. */
(function () {
  "use strict";
  window.Tessera = window.Tessera || {};

  var HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
  var MIN_DRAW_PX = 3; // smaller drags are clicks, not boxes
  var MIN_SIZE_PX = 4; // a resize never shrinks a box below this on screen
  var RECT_TYPES = { rectanglelabels: true, rectangle: true };

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
  function round4(v) { return Math.round(v * 10000) / 10000; }
  function el(tag, cls) { var e = document.createElement(tag); e.className = cls; return e; }

  function place(node, g) {
    node.style.left = g.x + "%";
    node.style.top = g.y + "%";
    node.style.width = g.width + "%";
    node.style.height = g.height + "%";
  }

  // Box after dragging handle `h` by (dx, dy) percent; `min` is the minimum size in percent.
  function resized(o, h, dx, dy, min) {
    var x1 = o.x, y1 = o.y, x2 = o.x + o.width, y2 = o.y + o.height;
    if (h.indexOf("w") >= 0) x1 = clamp(x1 + dx, 0, x2 - min.x);
    if (h.indexOf("e") >= 0) x2 = clamp(x2 + dx, x1 + min.x, 100);
    if (h.indexOf("n") >= 0) y1 = clamp(y1 + dy, 0, y2 - min.y);
    if (h.indexOf("s") >= 0) y2 = clamp(y2 + dy, y1 + min.y, 100);
    return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
  }

  function moved(o, dx, dy) {
    return {
      x: clamp(o.x + dx, 0, 100 - o.width), y: clamp(o.y + dy, 0, 100 - o.height),
      width: o.width, height: o.height
    };
  }

  function rounded(g) {
    return { x: round4(g.x), y: round4(g.y), width: round4(g.width), height: round4(g.height) };
  }

  function mount(objectEl, api) {
    var img = objectEl && objectEl.querySelector("img");
    if (!img) return { render: function () {}, destroy: function () {} };

    var overlay = el("div", "lsf-image-overlay");
    var boxes = {}; // region id -> box element, reused across renders so a gesture survives them
    var gesture = null;
    var loaded = false;
    var observer = null;

    objectEl.classList.add("lsf-image--regions");
    overlay.classList.toggle("lsf-image-overlay--readonly", !!api.readonly);
    objectEl.appendChild(overlay);

    // The overlay copies the displayed image's box; objectEl is the offsetParent (CSS makes it relative).
    function align() {
      overlay.style.left = img.offsetLeft + img.clientLeft + "px";
      overlay.style.top = img.offsetTop + img.clientTop + "px";
      overlay.style.width = img.clientWidth + "px";
      overlay.style.height = img.clientHeight + "px";
    }

    function onLoad() {
      loaded = true;
      align();
      render();
    }

    // Pointer position in percent of the displayed image.
    function toPct(e) {
      var r = overlay.getBoundingClientRect();
      return {
        x: r.width ? (e.clientX - r.left) / r.width * 100 : 0,
        y: r.height ? (e.clientY - r.top) / r.height * 100 : 0
      };
    }

    function findRegion(id) {
      var list = api.regions() || [];
      for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
      return null;
    }

    function labelsOf(item) {
      return (item.value && item.value.rectanglelabels) || [];
    }

    function buildBox(id) {
      var box = el("div", "lsf-rect");
      box.setAttribute("data-region-id", id);
      var tag = el("span", "lsf-rect-label");
      box.appendChild(tag);
      return box;
    }

    // Handles and the × button exist only on the selected box, so hit-testing stays simple.
    function syncChrome(box, selected) {
      box.classList.toggle("lsf-rect--selected", selected);
      var has = !!box.querySelector(".lsf-rect-delete");
      var want = selected && !api.readonly;
      if (has === want) return;
      if (!want) {
        box.querySelectorAll(".lsf-rect-handle, .lsf-rect-delete").forEach(function (n) { n.remove(); });
        return;
      }
      HANDLES.forEach(function (h) {
        var handle = el("span", "lsf-rect-handle lsf-rect-handle--" + h);
        handle.setAttribute("data-handle", h);
        box.appendChild(handle);
      });
      var del = el("button", "lsf-rect-delete");
      del.type = "button";
      del.textContent = "\u00d7";
      del.setAttribute("aria-label", "Delete region");
      del.title = "Delete region";
      box.appendChild(del);
    }

    function render() {
      var seen = {};
      var selectedId = api.selected();
      (api.regions() || []).forEach(function (item) {
        if (!item || !item.value || !RECT_TYPES[item.type]) return;
        if (item.to_name && item.to_name !== api.name) return;
        var id = String(item.id);
        seen[id] = true;
        var box = boxes[id] || (boxes[id] = overlay.appendChild(buildBox(id)));
        var labels = labelsOf(item);
        // A box being dragged shows its live geometry, not the stored one, until the gesture ends.
        place(box, gesture && gesture.box === box && gesture.current ? gesture.current : item.value);
        if (labels.length) box.style.setProperty("--label-color", api.colorOf(labels[0]));
        else box.style.removeProperty("--label-color");
        var tag = box.querySelector(".lsf-rect-label");
        tag.textContent = labels.join(", ");
        tag.hidden = !labels.length;
        syncChrome(box, selectedId != null && String(selectedId) === id);
      });
      Object.keys(boxes).forEach(function (id) {
        if (seen[id]) return;
        if (gesture && gesture.box === boxes[id]) gesture = null;
        boxes[id].remove();
        delete boxes[id];
      });
    }

    function start(e, kind, extra) {
      var r = overlay.getBoundingClientRect();
      gesture = Object.assign({
        kind: kind, pointerId: e.pointerId, origin: toPct(e), current: null,
        minPct: { x: MIN_SIZE_PX / (r.width || 1) * 100, y: MIN_SIZE_PX / (r.height || 1) * 100 },
        pxPerPct: { x: r.width / 100, y: r.height / 100 }
      }, extra);
      overlay.setPointerCapture(e.pointerId);
      e.preventDefault(); // no text selection / native image drag while dragging
    }

    function onPointerDown(e) {
      if (!loaded || gesture || e.button !== 0) return;
      var target = e.target;
      if (target.closest(".lsf-rect-delete")) return; // handled by the click listener
      var box = target.closest(".lsf-rect");
      if (box) {
        var id = box.getAttribute("data-region-id");
        var item = findRegion(id) || findRegion(Number(id));
        if (!item) return;
        if (String(api.selected()) !== id) api.select(item.id);
        if (api.readonly) return;
        var handle = target.closest(".lsf-rect-handle");
        var orig = rounded(item.value);
        start(e, handle ? "resize" : "move", {
          id: item.id, box: boxes[id], orig: orig, handle: handle && handle.getAttribute("data-handle")
        });
        return;
      }
      var active = api.readonly ? null : api.activeLabels();
      if (!active) { api.select(null); return; }
      var band = overlay.appendChild(el("div", "lsf-image-rubberband"));
      if (active.labels && active.labels.length) band.style.setProperty("--label-color", api.colorOf(active.labels[0]));
      start(e, "draw", { active: active, band: band });
      onPointerMove(e);
    }

    function onPointerMove(e) {
      if (!gesture || e.pointerId !== gesture.pointerId) return;
      var p = toPct(e), o = gesture.origin;
      var dx = p.x - o.x, dy = p.y - o.y;
      if (gesture.kind === "draw") {
        var cx = clamp(p.x, 0, 100), cy = clamp(p.y, 0, 100);
        var ox = clamp(o.x, 0, 100), oy = clamp(o.y, 0, 100);
        gesture.current = { x: Math.min(ox, cx), y: Math.min(oy, cy), width: Math.abs(cx - ox), height: Math.abs(cy - oy) };
        place(gesture.band, gesture.current);
        return;
      }
      gesture.current = gesture.kind === "move" ? moved(gesture.orig, dx, dy)
        : resized(gesture.orig, gesture.handle, dx, dy, gesture.minPct);
      place(gesture.box, gesture.current);
    }

    function onPointerUp(e) {
      if (!gesture || e.pointerId !== gesture.pointerId) return;
      onPointerMove(e);
      var g = gesture;
      gesture = null;
      if (g.band) g.band.remove();
      if (g.kind === "draw") commitDraw(g);
      else if (g.current) commitEdit(g);
    }

    function commitDraw(g) {
      var c = g.current;
      if (!c || c.width * g.pxPerPct.x <= MIN_DRAW_PX || c.height * g.pxPerPct.y <= MIN_DRAW_PX) {
        api.select(null); // a click on empty space deselects, as without an active label
        return;
      }
      var value = rounded(c);
      value.rotation = 0;
      if (g.active.type !== "rectangle") value.rectanglelabels = (g.active.labels || []).slice();
      api.create({
        from_name: g.active.control, to_name: api.name, type: g.active.type,
        original_width: img.naturalWidth, original_height: img.naturalHeight,
        image_rotation: 0, value: value
      });
    }

    // One update per gesture (it records one undo step); a plain click changes nothing.
    function commitEdit(g) {
      var v = rounded(g.current), o = g.orig;
      if (v.x === o.x && v.y === o.y && v.width === o.width && v.height === o.height) return render();
      api.update(g.id, v);
    }

    // Capture lost without pointerup (e.g. touch turned into a scroll): drop the gesture.
    function onCancel(e) {
      if (!gesture || e.pointerId !== gesture.pointerId) return;
      if (gesture.band) gesture.band.remove();
      gesture = null;
      render();
    }

    function onClick(e) {
      var del = e.target.closest(".lsf-rect-delete");
      if (!del || api.readonly) return;
      e.stopPropagation();
      var id = del.closest(".lsf-rect").getAttribute("data-region-id");
      var item = findRegion(id) || findRegion(Number(id));
      if (item) api.remove(item.id);
    }

    overlay.addEventListener("pointerdown", onPointerDown);
    overlay.addEventListener("pointermove", onPointerMove);
    overlay.addEventListener("pointerup", onPointerUp);
    overlay.addEventListener("pointercancel", onCancel);
    overlay.addEventListener("lostpointercapture", onCancel);
    overlay.addEventListener("click", onClick);
    img.addEventListener("load", onLoad);
    window.addEventListener("resize", align);
    if (window.ResizeObserver) {
      observer = new ResizeObserver(align);
      observer.observe(img);
      observer.observe(objectEl);
    }
    if (img.complete && img.naturalWidth) onLoad();
    else render(); // boxes are in percent, so they can be laid out before the image arrives

    function destroy() {
      gesture = null;
      if (observer) observer.disconnect();
      window.removeEventListener("resize", align);
      img.removeEventListener("load", onLoad);
      overlay.remove();
      objectEl.classList.remove("lsf-image--regions");
      boxes = {};
    }

    return { render: render, destroy: destroy };
  }

  window.Tessera.imageRegions = { mount: mount };
})();
