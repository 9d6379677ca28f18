// Regions per label: some tasks have a known number of entities (one buyer, one seller, one or more items).
// Adapt: RULES maps each label to {min, max} (either may be left out); LABELS is your <Labels name="...">.
const LABELS = "parties";
const RULES = {
  Buyer: { min: 1, max: 1 },
  Seller: { min: 1, max: 1 },
  Item: { min: 1 },
};

LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const counts = {};
  for (const r of annotation.results) {
    if (r.from_name.name !== LABELS) continue;
    for (const label of r.value.labels || []) counts[label] = (counts[label] || 0) + 1;
  }
  const problems = [];
  for (const [label, rule] of Object.entries(RULES)) {
    const n = counts[label] || 0;
    if (rule.min !== undefined && n < rule.min) problems.push(`${label}: at least ${rule.min} (found ${n})`);
    if (rule.max !== undefined && n > rule.max) problems.push(`${label}: at most ${rule.max} (found ${n})`);
  }
  if (problems.length) {
    // One modal listing every rule broken, so the annotator fixes them all in one pass.
    Htx.showModal("Check the number of regions per label. " + problems.join("; ") + ".", "error");
    return false;
  }
  return true;
});
