// PII warning: free text should not carry e-mail addresses or phone numbers. It is a soft block: the first
// save with PII is stopped with a warning; saving the same text again goes through, because the annotator
// may have a good reason (a company switchboard, a public address) and has now been told.
// Adapt: TEXTAREAS lists the <TextArea> names to check (empty: all of them); add checks to CHECKS as needed.
const TEXTAREAS = [];
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// Digits with the usual separators. Counting 9 to 15 digits (the international maximum) keeps dates, prices
// and version numbers out; an order number may still look like a phone, which a soft block can afford.
const PHONE = /\+?\(?\d[\d ().-]{6,}\d/g;
const CHECKS = {
  "an e-mail address": (text) => EMAIL.test(text),
  "a phone number": (text) => (text.match(PHONE) || []).some((m) => {
    const digits = m.replace(/\D/g, "").length;
    return digits >= 9 && digits <= 15;
  }),
};

// The text the annotator was last warned about; kept for this display of the annotation only.
let warnedText = null;

LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const text = annotation.results
    .filter((r) => r.type === "textarea" && (!TEXTAREAS.length || TEXTAREAS.includes(r.from_name.name)))
    .map((r) => [].concat(r.value.text || []).join("\n"))
    .join("\n");
  const found = Object.keys(CHECKS).filter((what) => CHECKS[what](text));
  if (!found.length || text === warnedText) return true;
  warnedText = text;
  Htx.showModal(`Your answer seems to contain ${found.join(" and ")}. Remove personal data if you can; ` +
                "if it must stay, save again to confirm.", "warning");
  return false;
});
