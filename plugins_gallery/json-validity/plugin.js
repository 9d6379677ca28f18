// JSON validity: an answer that other tools will parse must be valid JSON before it is saved.
// Adapt: set TEXTAREA to your <TextArea name="...">; REQUIRE_OBJECT=false also accepts arrays and plain values.
const TEXTAREA = "payload";
const REQUIRE_OBJECT = true;

LSI.on("beforeSaveAnnotation", (store, annotation) => {
  const answer = annotation.results.find((r) => r.from_name.name === TEXTAREA);
  const text = answer ? [].concat(answer.value.text || []).join("\n").trim() : "";
  if (!text) return true; // leave "required" to the configuration
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // The parser's own message says where it stopped, which is what the annotator needs to fix it.
    Htx.showModal(`The answer is not valid JSON: ${err.message}`, "error");
    return false;
  }
  if (REQUIRE_OBJECT && (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))) {
    Htx.showModal('The answer must be a JSON object, like {"key": "value"}.', "error");
    return false;
  }
  return true;
});
