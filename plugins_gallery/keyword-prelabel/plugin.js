// Keyword pre-labeling: proposes a span for every occurrence of known terms, so annotators review and
// correct instead of starting from nothing. It only fills an empty annotation: existing work is never touched.
// Adapt: KEYWORDS maps each label of your <Labels> to its terms (matched as whole words, any case).
const KEYWORDS = {
  Drug: ["aspirin", "ibuprofen", "paracetamol", "amoxicillin"],
  Symptom: ["headache", "fever", "nausea", "sore throat", "rash"],
};

const annotation = LSI.annotation;
if (!annotation || annotation.readonly || annotation.results.length) return;

// The first Labels control of the configuration, and the task field its Text shows.
const found = Object.entries(DM.project.parsed_label_config || {}).find(([, c]) => c.type === "Labels");
if (!found) return;
const [fromName, control] = found;
const text = String((LSI.dataObj || {})[control.inputs[0].value] || "");

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const spans = [];
for (const [label, terms] of Object.entries(KEYWORDS)) {
  if (!control.labels.includes(label)) continue;
  for (const term of terms) {
    // JavaScript string offsets are UTF-16 code units, which is what the labeling page stores.
    for (const m of text.matchAll(new RegExp(`\\b${escapeRegExp(term)}\\b`, "gi"))) {
      spans.push({ start: m.index, end: m.index + m[0].length, text: m[0], label });
    }
  }
}
// Keep the first of any overlapping proposals: overlapping entities are a mistake to fix, not to propose.
spans.sort((a, b) => a.start - b.start || b.end - a.end);
let end = -1;
const results = [];
for (const s of spans) {
  if (s.start < end) continue;
  end = s.end;
  results.push({
    from_name: fromName, to_name: control.to_name[0], type: "labels",
    value: { start: s.start, end: s.end, text: s.text, labels: [s.label] },
  });
}
if (results.length) annotation.deserializeResults(results);
