// Word limit: refuses to save while a TextArea answer is longer than MAX_WORDS words.
// Adapt: set TEXTAREA to your <TextArea name="..."> and MAX_WORDS to your limit.
const TEXTAREA = "summary";
const MAX_WORDS = 20;

// A TextArea stores a list of strings (one per submitted line); count them together.
function words(result) {
  const text = result && result.value ? result.value.text : [];
  return [].concat(text || []).join(" ").split(/\s+/).filter(Boolean).length;
}

LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const answer = annotation.results.find((r) => r.from_name.name === TEXTAREA);
  const count = words(answer);
  if (count > MAX_WORDS) {
    Htx.showModal(`The summary has ${count} words; the limit is ${MAX_WORDS}. Shorten it and save again.`, "error");
    return false;
  }
  return true;
});
