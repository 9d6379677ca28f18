// Chart of numeric task data: annotators judge a trend far faster from a line than from a list of numbers.
// Adapt: LABELS names the task field with the x-axis labels, SERIES the numeric fields to draw, SLOT the
// <View idAttr="..."> to draw in (without it the chart goes to the end of the plugin's area).
const LABELS = "months";
const SERIES = { sales: "Units sold", returns: "Units returned" };
const SLOT = "chart";
const COLOURS = ["#457b9d", "#e07a5f", "#2a9d8f", "#6d597a"];

// Chart.js is vendored and served by Tessera, so it needs no allowlist entry and no integrity hash.
await LSI.import("/static/vendor/chart-4.6.1/chart.umd.min.js");

const data = LSI.dataObj || {};
const datasets = Object.keys(SERIES)
  .filter((field) => Array.isArray(data[field]))
  .map((field, i) => ({
    label: SERIES[field],
    data: data[field].map(Number),
    borderColor: COLOURS[i % COLOURS.length],
    backgroundColor: COLOURS[i % COLOURS.length],
  }));
if (!datasets.length) return; // this task has nothing to draw

// LSI.mount: sandboxed, this plugin's frame moves into the View (and `slot` is the frame's body); trusted, the
// View's element itself; null without such a View (then: the end of the plugin's area). Where LSI has no
// mount (Label Studio), the View is looked up directly.
const slot = (LSI.mount ? await LSI.mount(SLOT) : document.getElementById(SLOT)) || document.body;
// The plugin runs again on every display of an annotation: replace the previous chart, never stack them.
for (const old of slot.querySelectorAll("canvas.gallery-chart")) {
  const chart = window.Chart.getChart(old);
  if (chart) chart.destroy();
  old.remove();
}
const canvas = document.createElement("canvas");
canvas.className = "gallery-chart";
canvas.setAttribute("role", "img");
canvas.setAttribute("aria-label", "Chart of " + datasets.map((d) => d.label).join(", "));
canvas.width = Math.min(slot.clientWidth || 640, 800);
canvas.height = 280;
slot.appendChild(canvas);

// A fixed size (responsive: false) keeps an auto-sized sandbox frame from growing with its own content.
new window.Chart(canvas, {
  type: "line",
  data: { labels: data[LABELS] || datasets[0].data.map((_, i) => i + 1), datasets },
  options: { responsive: false, animation: false, scales: { y: { beginAtZero: true } } },
});
