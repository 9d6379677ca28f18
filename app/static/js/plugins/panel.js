// The plugin panel: turns each code textarea ([data-code-editor]) into a CodeMirror 5 editor with line numbers and
// JavaScript highlighting. Without this script, or if CodeMirror cannot load, the plain textarea keeps working.
(function () {
  "use strict";
  // htmx runs this script again on every swap of the panel: the first copy stays in charge.
  if (window.TesseraPluginPanel) {
    window.TesseraPluginPanel.scan(document);
    return;
  }

  var loading = null;

  function load(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("Could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function stylesheet(href) {
    // CodeMirror measures its gutter when it starts: its stylesheet must be in place first.
    if (document.querySelector('link[rel="stylesheet"][href="' + href + '"]')) return Promise.resolve();
    return new Promise(function (resolve) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      link.onload = link.onerror = function () { resolve(); };
      document.head.appendChild(link);
    });
  }

  function codeMirror(panel) {
    if (window.CodeMirror && window.CodeMirror.modes && window.CodeMirror.modes.javascript) {
      return Promise.resolve(window.CodeMirror);
    }
    if (!loading) {
      var core = stylesheet(panel.getAttribute("data-codemirror-css")).then(function () {
        return window.CodeMirror ? null : load(panel.getAttribute("data-codemirror-js"));
      });
      loading = core
        .then(function () { return load(panel.getAttribute("data-codemirror-mode")); })
        .then(function () { return window.CodeMirror; });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  function enhance(textarea, CodeMirror) {
    if (textarea.hasAttribute("data-enhanced") || !document.body.contains(textarea)) return;
    textarea.setAttribute("data-enhanced", "");
    var editor = CodeMirror.fromTextArea(textarea, {
      lineNumbers: true,
      mode: "javascript",
      indentUnit: 2,
      tabSize: 2,
      readOnly: textarea.readOnly,
      // Esc leaves the editor, so that Tab moves focus on again (no keyboard trap).
      extraKeys: { Esc: function (cm) { cm.getInputField().blur(); } }
    });
    var input = editor.getInputField();
    var label = textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
    if (label) input.setAttribute("aria-label", label.textContent.trim());
    if (textarea.getAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    // Lay out again once the panel's own stylesheet has applied too.
    requestAnimationFrame(function () { editor.refresh(); });
    // Keep the textarea current, so htmx (which reads it on submit) always sends what is in the editor.
    editor.on("change", function () { editor.save(); });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    var areas = root.querySelectorAll("textarea[data-code-editor]:not([data-enhanced])");
    var panel = document.querySelector("[data-codemirror-js]");
    if (!areas.length || !panel) return;
    codeMirror(panel).then(function (CodeMirror) {
      areas.forEach(function (area) { enhance(area, CodeMirror); });
    }).catch(function (error) {
      if (window.console) console.warn("Plugin editor: " + error.message + "; the plain text box stays.");
    });
  }

  window.TesseraPluginPanel = { scan: scan };
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
  scan(document);
})();
