/*
 * soiree, the live page: the desk's marks (docs/protocol.md, "The desk"): pinned updates on
 * top, key events ("L'essentiel"), corrections ("corrigé à 21h14", the value before on
 * demand), retractions and flags. Text only (textContent).
 */
"use strict";

(function () {
  const page = window.soireePage;
  const {
    el,
    els,
    figuresLine,
    state,
  } = page;

  // -- the desk: pins, key events, corrections, retractions ------------------------------------

  function onDesk(desk) {
    if (!desk || typeof desk !== "object") return;
    state.desk = {
      pinned: Array.isArray(desk.pinned) ? desk.pinned : [],
      key: Array.isArray(desk.key) ? desk.key : [],
      corrected: desk.corrected && typeof desk.corrected === "object" ? desk.corrected : {},
      retracted: desk.retracted && typeof desk.retracted === "object" ? desk.retracted : {},
      flagged: desk.flagged && typeof desk.flagged === "object" ? desk.flagged : {},
    };
    // page-feed.js (loaded after this file) draws the items.
    for (const update of state.updates.values()) page.renderItem(update);
    renderPins();
  }

  function hhmm(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat("fr-FR", {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: state.timeZone,
    }).format(date);
  }

  function deskView(update) {
    // The update as readers must see it: with the desk's correction (the board already is).
    const correction = Object.prototype.hasOwnProperty.call(state.desk.corrected, update.uid)
      ? state.desk.corrected[update.uid]
      : null;
    if (!correction) return update;
    const shown = Object.assign({}, update);
    if (typeof correction.text === "string") shown.text = correction.text;
    if (correction.figures && typeof correction.figures === "object") shown.figures = correction.figures;
    return shown;
  }

  function deskMarks(item, meta, update) {
    const desk = state.desk;
    const pinned = desk.pinned.includes(update.uid);
    const key = desk.key.includes(update.uid);
    item.dataset.pinned = pinned ? "1" : "";
    item.classList.toggle("item-pinned", pinned);
    item.classList.toggle("item-key", key);
    if (pinned) meta.appendChild(el("span", "item-pin", "épinglé"));
    if (key) meta.appendChild(el("span", "item-keymark", "essentiel"));
    const retracted = Object.prototype.hasOwnProperty.call(desk.retracted, update.uid)
      ? desk.retracted[update.uid]
      : null;
    item.classList.toggle("item-retracted", !!retracted);
    if (retracted) meta.appendChild(el("span", "item-retract", `retiré à ${hhmm(retracted.at)}`));
    if (Object.prototype.hasOwnProperty.call(desk.flagged, update.uid)) {
      meta.appendChild(el("span", "item-flagged", "modifié par la source après correction"));
    }
  }

  function correctionNote(item, update) {
    // "corrigé à 21:14", and the value before it on demand.
    const correction = Object.prototype.hasOwnProperty.call(state.desk.corrected, update.uid)
      ? state.desk.corrected[update.uid]
      : null;
    if (!correction) return;
    const note = el("p", "item-correction");
    const toggle = el("button", "link-button item-corrected", `corrigé à ${hhmm(correction.at)}`);
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    const previous = el("div", "item-previous");
    previous.hidden = true;
    const before = correction.previous && typeof correction.previous === "object" ? correction.previous : {};
    previous.appendChild(el("p", "item-previous-label", "Avant correction :"));
    if (typeof before.text === "string") previous.appendChild(el("p", "item-previous-text", before.text));
    const figures = before.figures ? figuresLine({ figures: before.figures }) : null;
    if (figures) previous.appendChild(el("p", "item-previous-figures", figures));
    if (typeof correction.reason === "string" && correction.reason) {
      previous.appendChild(el("p", "item-previous-reason", `Motif : ${correction.reason}`));
    }
    toggle.addEventListener("click", () => {
      previous.hidden = !previous.hidden;
      toggle.setAttribute("aria-expanded", String(!previous.hidden));
    });
    note.appendChild(toggle);
    item.appendChild(note);
    item.appendChild(previous);
  }

  function renderPins() {
    // Pinned updates on top of the feed, the latest pin first.
    const pinned = state.desk.pinned.map((uid) => state.items.get(uid)).filter(Boolean);
    for (const item of pinned) els.feed.insertBefore(item, els.feed.firstElementChild);
  }

  const essentialButton = el("button", "link-button essential-toggle", "L’essentiel");
  essentialButton.type = "button";
  essentialButton.id = "essential-toggle";
  essentialButton.setAttribute("aria-pressed", "false");
  essentialButton.addEventListener("click", () => {
    state.essential = !state.essential;
    essentialButton.setAttribute("aria-pressed", String(state.essential));
    els.feed.classList.toggle("feed-essential", state.essential);
  });
  els.feed.parentNode.insertBefore(essentialButton, els.feed);

  Object.assign(page, {
    correctionNote,
    deskMarks,
    deskView,
    onDesk,
    renderPins,
  });
})();
