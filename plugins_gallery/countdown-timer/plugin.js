// Countdown timer: for timed tasks (tests, speed-calibrated work) an answer given after the limit is not
// comparable with the others, so saving is refused once time runs out. Skipping stays possible.
// Adapt: the limit comes from the task field "time_limit" (seconds), else DEFAULT_SECONDS; SLOT is the
// <View idAttr="..."> that shows the clock.
const DEFAULT_SECONDS = 120;
const SLOT = "timer";

const seconds = Number((LSI.dataObj || {}).time_limit) || DEFAULT_SECONDS;
const deadline = Date.now() + seconds * 1000;
const left = () => Math.max(0, Math.ceil((deadline - Date.now()) / 1000));

// LSI.mount: sandboxed, this plugin's frame moves into the View (and `slot` is the frame's body); trusted, the
// View's element itself; null without such a View (then: the end of the plugin's area). Where LSI has no
// mount (Label Studio), the View is looked up directly.
const slot = (LSI.mount ? await LSI.mount(SLOT) : document.getElementById(SLOT)) || document.body;
// A new display starts a new clock: drop the one a previous run left behind.
for (const old of slot.querySelectorAll(".gallery-timer")) old.remove();
const clock = document.createElement("p");
clock.className = "gallery-timer";
clock.setAttribute("role", "timer");
slot.appendChild(clock);

function tick() {
  const s = left();
  clock.textContent = s ? `Time left: ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : "Time is up";
  clock.style.color = s <= 10 ? "#b00020" : "";
  // Stop when time is up or when the clock left the page (the next task replaced it).
  if (!s || !clock.isConnected) clearInterval(timer);
}
const timer = setInterval(tick, 250);
tick();

LSI.on("beforeSaveAnnotation", () => {
  if (left() > 0) return true;
  Htx.showModal(`Time is up: this task had a limit of ${seconds} seconds, so the answer cannot be saved. ` +
                "Skip the task to move on.", "error");
  return false;
});
