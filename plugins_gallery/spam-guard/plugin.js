// Spam guard: an annotator who gives the same answer again and again, or submits faster than anyone can
// read the task, is probably not labeling. Pausing them keeps bad data out until a manager has a look.
// It runs trusted because the pause request needs the annotator's own session.
// Adapt: the limits below; the history lives in this browser tab (sessionStorage), per project and user.
const SAME_ANSWER_LIMIT = 5; // this many identical answers in a row...
const MIN_SECONDS = 3;       // ...or FAST_LIMIT submissions in a row, each under MIN_SECONDS after the task appeared
const FAST_LIMIT = 3;

const shownAt = Date.now();
const key = `tessera-spam-guard:${DM.project.id}:${Htx.user.id}`;
const load = () => { try { return JSON.parse(sessionStorage.getItem(key)) || []; } catch (e) { return []; } };
const keep = (history) => sessionStorage.setItem(key, JSON.stringify(history.slice(-20)));

// Ids and order differ between annotations; what the annotator answered does not.
const answerOf = (annotation) => JSON.stringify(annotation.serializeAnnotation()
  .map((r) => [r.from_name, r.to_name, r.type, r.value])
  .map((x) => JSON.stringify(x)).sort());

async function pause(reason) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  try {
    // The page's CSRF token, which every same-origin write must carry.
    Object.assign(headers, JSON.parse(document.body.getAttribute("hx-headers") || "{}"));
  } catch (e) { /* no token on the page: the server will say so */ }
  const response = await fetch(`/api/projects/${DM.project.id}/members/${Htx.user.id}/pauses`, {
    method: "POST", credentials: "same-origin", headers,
    body: JSON.stringify({ reason: "CUSTOM_SCRIPT", verbose_reason: reason }),
  });
  if (!response.ok) throw new Error(`pause refused (${response.status})`);
}

// Measured before the save, while this task's annotation is certainly the one shown.
let pending = null;
LSI.on("beforeSaveAnnotation", (store, annotation, options) => {
  const update = options && options.event === "updateAnnotation";
  pending = update ? null : { answer: answerOf(annotation), seconds: (Date.now() - shownAt) / 1000 };
  return true;
});

LSI.on("submitAnnotation", async () => {
  if (!pending) return;
  const history = [...load(), pending];
  pending = null;
  const last = (n) => (history.length >= n ? history.slice(-n) : null);
  const same = last(SAME_ANSWER_LIMIT);
  const fast = last(FAST_LIMIT);
  let reason = null;
  if (same && same.every((h) => h.answer === same[0].answer)) {
    reason = `The same answer was submitted ${SAME_ANSWER_LIMIT} times in a row.`;
  } else if (fast && fast.every((h) => h.seconds < MIN_SECONDS)) {
    reason = `${FAST_LIMIT} tasks in a row were submitted in under ${MIN_SECONDS} seconds each.`;
  }
  if (!reason) return keep(history);
  keep([]); // start afresh once a manager resumes the annotator
  try {
    await pause(reason);
    Htx.showModal(`You have been paused on this project: ${reason} A manager will review your work and resume you.`,
                  "warning");
  } catch (err) {
    console.error("Spam guard: could not pause", err);
  }
});
