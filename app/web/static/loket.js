// Loket's only script: everything works without it; where it runs, it saves a form's answers
// when a field is left (so a lost connection or session loses at most one field), and moves
// focus to a form's error summary, and shows that a long action is under way. Loaded with defer; no inline script anywhere (the CSP).
"use strict";

// A moment after a field is left, so that leaving it by pressing one of the form's buttons
// sends one post (the button's, which carries every answer), not two racing each other.
const AUTOSAVE_DELAY_MS = 400;

function autosave(form) {
  const status = form.querySelector("[data-testid=autosave]");
  let queue = Promise.resolve();
  let timer = null;
  let inFlight = 0;
  let waited = false;
  const flush = () => {
    timer = null;
    inFlight += 1;
    queue = queue
      .then(() => saveNow(form, status))
      .catch(() => say(status, "failed"))
      .finally(() => { inFlight -= 1; });
  };
  form.addEventListener("change", (event) => {
    const name = event.target.name || "";
    if (!name.startsWith("data.")) return;
    clearTimeout(timer);
    timer = setTimeout(flush, AUTOSAVE_DELAY_MS);
  });
  form.addEventListener("submit", (event) => {
    clearTimeout(timer);  // the post itself saves what was waiting
    timer = null;
    if (inFlight === 0 || waited) return;
    // A save already under way changes the version: the post waits for it and carries the
    // version it produced, or the server would refuse it as stale.
    event.preventDefault();
    const button = event.submitter;
    queue.then(() => {
      waited = true;
      form.requestSubmit(button && button.form === form ? button : undefined);
    });
  });
}

async function saveNow(form, status) {
  const body = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string") body.append(name, value);
  }
  say(status, "saving");
  const response = await fetch(form.dataset.autosave, {
    method: "POST",
    body,
    credentials: "same-origin",
    redirect: "manual",
    headers: { "Loket-Autosave": "1" },
  });
  const answer = response.ok ? await response.json() : null;
  if (answer && answer.saved) {
    // Every form of the page carries the version it was read at: keep them all current.
    for (const input of document.querySelectorAll("input[name=version]")) {
      input.value = String(answer.version);
    }
    say(status, "saved");
  } else {
    say(status, "failed");
  }
}

function say(status, what) {
  if (status) status.textContent = status.dataset[what] || "";
}

function focusErrorSummary() {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
}

// Long actions (approving signs a certificate): a moment after the post leaves, the button
// says the server is working and cannot be pressed twice. Not at once, so that the button is
// still part of the form data the browser collects, and fast answers show no flicker.
const BUSY_DELAY_MS = 300;
const BUSY_TEXT = { id: "Memproses...", en: "Working..." };

function showBusy(event) {
  const form = event.target;
  if (event.defaultPrevented || !form.matches || !form.matches("form[data-busy]")) return;
  const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (!button) return;
  setTimeout(() => {
    button.dataset.idleText = button.textContent;
    button.textContent = BUSY_TEXT[document.documentElement.lang] || BUSY_TEXT.id;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }, BUSY_DELAY_MS);
}

// A page restored by the back button must not keep a button that says it is working.
function resetBusy() {
  for (const button of document.querySelectorAll("button[aria-busy=true]")) {
    button.textContent = button.dataset.idleText || button.textContent;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

for (const form of document.querySelectorAll("form[data-autosave]")) autosave(form);
// On the document, so that it runs after each form's own handlers (which may cancel a post).
document.addEventListener("submit", showBusy);
window.addEventListener("pageshow", resetBusy);
focusErrorSummary();
