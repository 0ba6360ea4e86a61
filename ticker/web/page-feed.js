/*
 * soiree, the live page: the feed. Updates kept by uid (an edit replaces its entry in place, a
 * delete removes it), newest first, grouped as the board's `groups` say, the "N new
 * updates" button, and (staff) the "sous embargo" marks a snapshot's `embargo.held` sets.
 * Text from sources is set with textContent only.
 */
"use strict";

(function () {
  const page = window.soireePage;
  const {
    KIND_LABELS,
    LONG_TEXT,
    NEAR_TOP_PX,
    OP_LABELS,
    clear,
    compareKeys,
    el,
    els,
    figuresLine,
    sortKey,
    state,
    timeOf,
    token,
    correctionNote,
    deskMarks,
    deskView,
    renderPins,
  } = page;

  // -- the state ------------------------------------------------------------------------------

  function apply(update) {
    if (update.op === "delete") {
      state.updates.delete(update.uid);
      const item = state.items.get(update.uid);
      if (item) {
        item.remove();
        state.items.delete(update.uid);
      }
    } else {
      state.updates.set(update.uid, update);
      renderItem(update);
    }
    state.stats.renders += 1;
    renderFeedCount();
  }

  function renderFeedCount() {
    let shown = 0;
    for (const item of state.items.values()) if (!item.hidden) shown += 1;
    els.feedEmpty.hidden = shown > 0;
    els.feedCount.textContent = shown ? `${shown} mise${shown > 1 ? "s" : ""} à jour` : "";
  }

  function renderItem(received) {
    const update = deskView(received);
    let item = state.items.get(update.uid);
    const fresh = !item;
    if (fresh) {
      item = el("li", "item");
      item.dataset.uid = update.uid;
    } else {
      clear(item);
    }
    item.dataset.id = update.id || "";
    item.dataset.kind = update.kind;
    item.dataset.at = update.at;
    item.className = `item kind-${update.kind}`;

    const meta = el("div", "item-meta");
    const time = el("time", "item-time", timeOf(update.at));
    time.dateTime = update.at;
    meta.appendChild(time);
    meta.appendChild(el("span", `badge badge-${update.kind}`, KIND_LABELS[update.kind] || update.kind));
    meta.appendChild(el("span", "item-source", update.source));
    if (OP_LABELS[update.op]) meta.appendChild(el("span", "item-edited", OP_LABELS[update.op]));
    // The source gave no date: the time shown is when soiree first saw it (update schema 4).
    if (update.undated === true) {
      const note = el("span", "item-undated", "non daté");
      note.title = "La source ne date pas cet élément : heure à laquelle soiree l'a vu";
      meta.appendChild(note);
    }
    // Staff pages only (the staff token): held for the public until polls close.
    if (update.embargoed === true) meta.appendChild(el("span", "item-embargo", "sous embargo"));
    deskMarks(item, meta, update);
    meta.appendChild(el("span", "item-group"));
    item.appendChild(meta);

    if (update.speaker) item.appendChild(el("p", "item-speaker", update.speaker));
    const text = el("p", "item-text", update.text);
    item.appendChild(text);
    if (update.text.length > LONG_TEXT) {
      // Whole articles: a few lines, and the rest on demand.
      text.classList.add("clamped");
      const more = el("button", "link-button more", "Lire la suite");
      more.type = "button";
      more.addEventListener("click", () => {
        const clamped = text.classList.toggle("clamped");
        more.textContent = clamped ? "Lire la suite" : "Réduire";
      });
      item.appendChild(more);
    }
    const figures = figuresLine(update);
    if (figures) item.appendChild(el("p", "item-figures", figures));
    correctionNote(item, update);

    if (fresh || item.dataset.sortKey !== sortKey(update).join(",")) {
      item.dataset.sortKey = sortKey(update).join(",");
      place(item, sortKey(update));
    }
    state.items.set(update.uid, item);
    if (item.dataset.pinned || state.desk.pinned.length) renderPins();
    if (state.board) groupItem(item);
  }

  function place(item, key) {
    // Newest first. Live updates nearly always go on top, so look from the top down.
    let before = els.feed.firstElementChild;
    while (before) {
      if (before !== item && !before.dataset.pinned) {
        const other = before.dataset.sortKey.split(",").map(Number);
        if (compareKeys(other, key) < 0) break;
      }
      before = before.nextElementSibling;
    }
    if (before === item) return;
    els.feed.insertBefore(item, before);
  }

  function groupOf(uid) {
    const groups = state.board && state.board.groups ? state.board.groups : [];
    return groups.find((group) => group.uids.includes(uid)) || null;
  }

  function groupItem(item) {
    const uid = item.dataset.uid;
    const group = groupOf(uid);
    const label = item.querySelector(".item-group");
    item.hidden = false;
    item.classList.remove("disputed");
    if (label) label.textContent = "";
    if (!group) return;
    const present = group.uids.filter((other) => state.items.has(other) || other === uid);
    if (group.agree) {
      if (present[0] !== uid) {
        item.hidden = true; // shown once, by the first report of the point
        return;
      }
      if (label && group.sources.length > 1) {
        label.textContent = `${group.sources.length} sources`;
        label.title = group.sources.join(", ");
      }
    } else {
      item.classList.add("disputed");
      if (label) label.textContent = "⚠ sources en désaccord";
    }
  }

  function renderGroups() {
    for (const item of state.items.values()) groupItem(item);
    renderFeedCount();
  }

  // -- the embargo's marks (staff) ---------------------------------------------------------------

  function onEmbargo(embargo) {
    // A staff snapshot's "embargo": {"held": ["<id>", ...]}, what the broadcaster holds for the
    // public now (docs/protocol.md, "The embargo"). An update released while this page was away
    // is not sent again (the page resumes past it): its mark goes here. An update whose id is
    // listed is marked, any other is not. Missing or malformed: the marks stay (the safe side).
    // The ids are only compared, never shown.
    if (!embargo || typeof embargo !== "object" || !Array.isArray(embargo.held)) return;
    if (!embargo.held.every((id) => typeof id === "string")) return;
    const held = new Set(embargo.held);
    for (const [uid, update] of state.updates) {
      const marked = typeof update.id === "string" && held.has(update.id);
      if ((update.embargoed === true) === marked) continue;
      const shown = Object.assign({}, update);
      if (marked) shown.embargoed = true;
      else delete shown.embargoed;
      state.updates.set(uid, shown);
      renderItem(shown);
    }
  }

  // -- "N new updates" ----------------------------------------------------------------------------

  function scrolledAway() {
    const top = els.feed.getBoundingClientRect().top + window.scrollY;
    return window.scrollY > top + NEAR_TOP_PX;
  }

  function renderUnseen() {
    if (state.unseen > 0) {
      els.newUpdates.textContent =
        state.unseen === 1 ? "1 nouvelle mise à jour ↑" : `${state.unseen} nouvelles mises à jour ↑`;
      els.newUpdates.hidden = false;
    } else {
      els.newUpdates.hidden = true;
    }
  }

  els.newUpdates.addEventListener("click", () => {
    state.unseen = 0;
    renderUnseen();
    const top = els.feed.getBoundingClientRect().top + window.scrollY - 80;
    window.scrollTo({ top: Math.max(0, top), behavior: "smooth" });
  });

  window.addEventListener(
    "scroll",
    () => {
      if (state.unseen && !scrolledAway()) {
        state.unseen = 0;
        renderUnseen();
      }
    },
    { passive: true },
  );

  Object.assign(page, {
    apply,
    onEmbargo,
    renderGroups,
    renderItem, // page-desk.js redraws the items when the desk changes
    renderUnseen,
    scrolledAway,
  });
})();
