/*
 * soiree: the staff view of the page, its alerts (docs/alerts.md, "Where alerts show").
 *
 * app.js hands each update of kind "alert" to window.soireeStaff.add only when the server's
 * hello says the page is staff (opened with the staff token: /?token=<staff token>); a
 * readers' page never calls it, and this script then shows nothing.
 *
 * Shown: a banner (role="alert") with the newest alert not yet acknowledged and how many more
 * wait, and the "Alertes" panel listing every alert, newest first, each with a "Vu" button.
 * Acknowledgement is this page's own (like the ticker's `a`): another page still shows them.
 * Every text is set with textContent, never as HTML.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const alerts = new Map(); // uid -> {text, time, acknowledged, item, button}
  const order = []; // uids, oldest first

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function waiting() {
    return order.filter((uid) => !alerts.get(uid).acknowledged);
  }

  function render() {
    const panel = $("staff-alerts");
    const banner = $("alert-banner");
    if (!panel || !banner) return;
    panel.hidden = order.length === 0;
    const pending = waiting();
    $("staff-alerts-count").textContent =
      pending.length === 0 ? "toutes vues" : `${pending.length} à voir`;
    banner.hidden = pending.length === 0;
    if (pending.length === 0) return;
    const newest = alerts.get(pending[pending.length - 1]);
    const more = pending.length > 1 ? ` (+${pending.length - 1})` : "";
    const text = `Alerte · ${newest.time} · ${newest.text}${more}`;
    // Only when it changes: a live region speaks each change.
    if ($("alert-banner-text").textContent !== text) $("alert-banner-text").textContent = text;
  }

  function acknowledge(uid) {
    const entry = alerts.get(uid);
    if (!entry || entry.acknowledged) return;
    entry.acknowledged = true;
    entry.item.classList.add("acknowledged");
    entry.button.disabled = true;
    entry.button.textContent = "Vue";
    entry.button.setAttribute("aria-label", `Alerte vue : ${entry.text}`);
  }

  function acknowledgeFrom(uids, focused) {
    uids.forEach(acknowledge);
    render();
    // The button pressed is now disabled: keep the keyboard's place in the page.
    if (focused && document.activeElement !== focused) return;
    const next = waiting();
    const target = next.length ? alerts.get(next[next.length - 1]).button : $("staff-alerts-title");
    target.focus();
  }

  function add(update, time) {
    const list = $("staff-alerts-list");
    if (!list || !update || typeof update.uid !== "string" || alerts.has(update.uid)) return false;
    const text = typeof update.text === "string" ? update.text : "";
    const item = el("li", "staff-alert");
    item.dataset.uid = update.uid;
    item.appendChild(el("time", "staff-alert-time", time || ""));
    item.appendChild(el("span", "staff-alert-text", text));
    const button = el("button", "link-button staff-alert-ack", "Vu");
    button.type = "button";
    button.setAttribute("aria-label", `Marquer vue : ${text}`);
    button.addEventListener("click", () => acknowledgeFrom([update.uid], button));
    item.appendChild(button);
    alerts.set(update.uid, { text, time: time || "", acknowledged: false, item, button });
    order.push(update.uid);
    list.insertBefore(item, list.firstChild); // newest first
    render();
    return true;
  }

  function start() {
    const all = $("alert-banner-ack");
    if (all) all.addEventListener("click", () => acknowledgeFrom(waiting(), all));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.soireeStaff = Object.freeze({
    add,
    get alerts() {
      return order.map((uid) => ({ uid, acknowledged: alerts.get(uid).acknowledged }));
    },
  });
})();
