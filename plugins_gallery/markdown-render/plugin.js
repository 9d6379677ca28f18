// Markdown rendering: task text written in Markdown is easier to read formatted. Task data is untrusted, so
// the renderer escapes everything first and only then turns a few known patterns into tags; no raw data is
// ever parsed as HTML, and links must be http(s).
// Adapt: FIELD is the task field to render, SLOT the <View idAttr="..."> to render into.
const FIELD = "body";
const SLOT = "markdown";

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) =>
  ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Inline rules run on escaped text; code spans are cut out first so nothing inside them is formatted.
function inline(text) {
  return escapeHtml(text).split(/(`[^`]+`)/).map((part, i) => {
    if (i % 2) return "<code>" + part.slice(1, -1) + "</code>";
    return part
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s()]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>');
  }).join("");
}

function render(markdown) {
  const out = [];
  const lines = String(markdown).replace(/\r\n?/g, "\n").split("\n");
  let list = null; // "ul" or "ol" while inside a list
  let para = [];
  const flush = () => {
    if (para.length) out.push("<p>" + inline(para.join(" ")) + "</p>");
    para = [];
    if (list) out.push(`</${list}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if (line.startsWith("```")) {
      flush();
      const code = [];
      while (++i < lines.length && !lines[i].startsWith("```")) code.push(lines[i]);
      out.push("<pre><code>" + escapeHtml(code.join("\n")) + "</code></pre>");
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      flush();
      out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`);
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.push("<hr>");
    } else if ((m = /^\s*(?:([-*+])|\d+[.)])\s+(.*)$/.exec(line))) {
      const kind = m[1] ? "ul" : "ol";
      if (para.length || list !== kind) flush();
      if (!list) out.push(`<${(list = kind)}>`);
      out.push("<li>" + inline(m[2]) + "</li>");
    } else if ((m = /^>\s?(.*)$/.exec(line))) {
      flush();
      out.push("<blockquote>" + inline(m[1]) + "</blockquote>");
    } else if (!line.trim()) {
      flush();
    } else {
      if (list) flush();
      para.push(line.trim());
    }
  }
  flush();
  return out.join("\n");
}

// LSI.mount: sandboxed, this plugin's frame moves into the View (and `slot` is the frame's body); trusted, the
// View's element itself; null without such a View (then: the end of the plugin's area). Where LSI has no
// mount (Label Studio), the View is looked up directly.
const slot = (LSI.mount ? await LSI.mount(SLOT) : document.getElementById(SLOT)) || document.body;
let box = slot.querySelector(".gallery-markdown");
if (!box) {
  box = document.createElement("div");
  box.className = "gallery-markdown";
  slot.appendChild(box);
}
// Safe to assign: render() only emits the tags written above around escaped text.
box.innerHTML = render((LSI.dataObj || {})[FIELD] || "");
