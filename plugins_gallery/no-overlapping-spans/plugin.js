// No overlapping spans: named entities must not share characters, so each token gets one entity type.
// Adapt: LABELS limits the check to one <Labels name="...">; null checks every span of every Labels control.
const LABELS = "ner";

function spans(annotation) {
  return annotation.results
    .filter((r) => r.type === "labels" && (!LABELS || r.from_name.name === LABELS))
    .filter((r) => typeof r.value.start === "number" && typeof r.value.end === "number")
    .map((r) => ({ start: r.value.start, end: r.value.end, text: r.value.text, label: (r.value.labels || [])[0] }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
}

LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const list = spans(annotation);
  // Sorted by start, a span overlaps another exactly when it starts before the furthest end seen so far.
  let widest = null;
  for (const span of list) {
    if (widest && span.start < widest.end) {
      Htx.showModal(`"${widest.text}" (${widest.label}) and "${span.text}" (${span.label}) overlap. ` +
                    "Delete or shorten one of them, then save again.", "error");
      return false;
    }
    if (!widest || span.end > widest.end) widest = span;
  }
  return true;
});
