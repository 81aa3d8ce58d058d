// anywidget front end of kms_jupyter.notebook.formula_editor.FormulaEditor.
// Model traits: value (str), columns (list of str), errors (list of {start, end, message,
// suggestion, replacement}; spans in code points, as Python counts), checked (the formula the
// kernel's errors refer to), submit_count (int), placeholder (str).
// Every column name and message goes into the page as text (textContent), never as HTML.

import { completions, applyCompletion } from "./complete.js";
import { validate } from "./validate.js";
import { quoteName } from "./tokenize.js";
import { injectStyle } from "./style.js";

export { tokenize, annotate, quoteName, needsQuoting } from "./tokenize.js";
export { completions, applyCompletion } from "./complete.js";
export { validate, closestMatch, similarity } from "./validate.js";

/** UTF-16 index of the code point offset `cp` in `text` (Python counts code points). */
export function codePointToIndex(text, cp) {
  let index = 0;
  let count = 0;
  while (index < text.length && count < cp) {
    const c = text.codePointAt(index);
    index += c > 0xffff ? 2 : 1;
    count += 1;
  }
  return index;
}

function kernelErrors(text, errors) {
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e) => e && typeof e === "object")
    .map((e) => {
      const start = codePointToIndex(text, Math.max(0, Number(e.start) || 0));
      const end = Math.max(start, codePointToIndex(text, Math.max(0, Number(e.end) || 0)));
      return {
        start,
        end,
        message: String(e.message ?? "invalid formula"),
        suggestion: e.suggestion == null ? null : String(e.suggestion),
        replacement: e.replacement == null ? null : String(e.replacement),
      };
    });
}

function h(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  return node;
}

export function render({ model, el }) {
  const doc = el.ownerDocument || document;
  injectStyle(doc);
  const listeners = [];
  const listen = (target, type, fn, opts) => {
    target.addEventListener(type, fn, opts);
    listeners.push(() => target.removeEventListener(type, fn, opts));
  };
  const modelHandlers = [];
  const onModel = (name, fn) => {
    model.on(name, fn);
    modelHandlers.push([name, fn]);
  };

  const root = h(doc, "div", "kms-fe");
  const field = h(doc, "div", "kms-fe-field");
  const mirror = h(doc, "div", "kms-fe-mirror");
  mirror.setAttribute("aria-hidden", "true");
  const input = h(doc, "input", "kms-fe-input");
  input.type = "text";
  input.spellcheck = false;
  input.autocomplete = "off";
  input.setAttribute("autocapitalize", "off");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-label", "formula");
  const list = h(doc, "ul", "kms-fe-completions");
  list.setAttribute("role", "listbox");
  list.hidden = true;
  const errorList = h(doc, "ul", "kms-fe-errors");
  errorList.setAttribute("aria-live", "polite");
  const status = h(doc, "div", "kms-fe-status");
  field.append(mirror, input, list);
  root.append(field, errorList, status);
  el.appendChild(root);

  let kernelFresh = false; // the last errors came from the kernel after the last keystroke
  let comp = null; // current completion {from, to, items}
  let active = 0;
  let lastSubmit = null;

  const columns = () => (Array.isArray(model.get("columns")) ? model.get("columns").map(String) : []);

  function currentErrors() {
    const text = input.value;
    if (!text.trim()) return [];
    const checked = model.get("checked");
    const useKernel = typeof checked === "string" && checked !== "" ? checked === text : kernelFresh;
    if (useKernel) return kernelErrors(text, model.get("errors"));
    return validate(text, columns());
  }

  function syncScroll() {
    mirror.scrollLeft = input.scrollLeft;
  }

  // a name being typed (cursor at its end, and some column starts with it) is not an error yet
  function stillTyping(text, e) {
    if (doc.activeElement !== input || input.selectionEnd !== e.end || e.end <= e.start) return false;
    const typed = text.slice(e.start, e.end).replace(/^`/, "").toLowerCase();
    return columns().some((c) => c.toLowerCase().startsWith(typed) && c.toLowerCase() !== typed);
  }

  function showErrors() {
    const text = input.value;
    const errors = currentErrors().filter((e) => !stillTyping(text, e));
    // mirror: the text with the problem spans underlined
    mirror.replaceChildren();
    let pos = 0;
    const spans = errors.filter((e) => e.end > e.start).sort((a, b) => a.start - b.start);
    for (const e of spans) {
      if (e.start < pos) continue; // overlapping spans: keep the first
      if (e.start > pos) mirror.appendChild(doc.createTextNode(text.slice(pos, e.start)));
      const u = h(doc, "span", "kms-fe-underline");
      u.textContent = text.slice(e.start, e.end);
      u.title = e.message;
      u.dataset.start = String(e.start);
      u.dataset.end = String(e.end);
      mirror.appendChild(u);
      pos = e.end;
    }
    if (pos < text.length) mirror.appendChild(doc.createTextNode(text.slice(pos)));
    syncScroll();
    // messages
    errorList.replaceChildren();
    for (const e of errors) {
      const li = h(doc, "li", "kms-fe-error");
      li.appendChild(doc.createTextNode(e.message));
      const replacement = e.replacement ?? (e.suggestion == null ? null : quoteName(e.suggestion));
      if (replacement != null && e.end > e.start) {
        const b = h(doc, "button", "kms-fe-suggestion");
        b.type = "button";
        b.textContent = `use ${replacement}`;
        b.title = `replace ${text.slice(e.start, e.end)} by ${replacement}`;
        b.addEventListener("mousedown", (ev) => ev.preventDefault());
        b.addEventListener("click", () => replaceRange(e.start, e.end, replacement));
        li.appendChild(b);
      }
      errorList.appendChild(li);
    }
    input.setAttribute("aria-invalid", errors.length ? "true" : "false");
    if (!text.trim()) status.textContent = "Type a formula, e.g. outcome ~ . - id (Tab completes column names)";
    else if (errors.length) status.textContent = errors.length === 1
      ? "1 problem: fix the underlined term (Enter trains anyway)"
      : `${errors.length} problems: fix the underlined terms (Enter trains anyway)`;
    else if (lastSubmit !== null && lastSubmit === text) status.textContent = `Training requested (#${model.get("submit_count")})`;
    else status.textContent = "Enter to train · Tab or ↓ for completions";
  }

  function saveValue() {
    model.set("value", input.value);
    model.save_changes();
  }

  function replaceRange(start, end, insert) {
    const text = input.value;
    input.value = text.slice(0, start) + insert + text.slice(end);
    const cursor = start + insert.length;
    input.focus();
    input.setSelectionRange(cursor, cursor);
    kernelFresh = false;
    saveValue();
    showErrors();
    closeList();
  }

  function closeList() {
    comp = null;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function paintActive() {
    Array.from(list.children).forEach((li, i) => {
      const on = i === active;
      li.classList.toggle("kms-fe-item-active", on);
      li.setAttribute("aria-selected", on ? "true" : "false");
      if (on && typeof li.scrollIntoView === "function") li.scrollIntoView({ block: "nearest" });
    });
  }

  function openList(auto) {
    const text = input.value;
    const cursor = input.selectionStart ?? text.length;
    const c = completions(text, cursor, columns());
    const current = text.slice(c.from, c.to);
    if (!c.items.length || (auto && c.context !== "term")
        || (auto && c.items.length === 1 && c.items[0].insert === current)
        || (auto && !text.trim())) {
      closeList();
      return;
    }
    comp = c;
    active = 0;
    list.replaceChildren();
    c.items.forEach((item, i) => {
      const li = h(doc, "li", "kms-fe-item");
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      li.dataset.kind = item.kind;
      if (item.used) li.classList.add("kms-fe-item-used");
      const label = h(doc, "span", "kms-fe-item-label");
      label.textContent = item.label;
      const detail = h(doc, "span", "kms-fe-item-detail");
      detail.textContent = item.detail;
      li.append(label, detail);
      li.addEventListener("mousedown", (ev) => ev.preventDefault());
      li.addEventListener("click", () => accept(i));
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    paintActive();
  }

  function accept(i) {
    if (!comp || !comp.items[i]) return;
    const item = comp.items[i];
    const r = applyCompletion(input.value, comp, item);
    input.value = r.text;
    input.focus();
    input.setSelectionRange(r.cursor, r.cursor);
    kernelFresh = false;
    saveValue();
    showErrors();
    closeList();
    if (item.kind === "function" || item.kind === "operator") openList(true);
  }

  function submit() {
    const text = input.value;
    if (!text.trim()) {
      status.textContent = "Type a formula first, e.g. outcome ~ .";
      return;
    }
    lastSubmit = text;
    model.set("value", text);
    model.set("submit_count", (Number(model.get("submit_count")) || 0) + 1);
    model.save_changes();
    showErrors();
  }

  listen(input, "input", () => {
    kernelFresh = false;
    saveValue();
    showErrors();
    openList(true);
  });
  listen(input, "keydown", (ev) => {
    if (ev.isComposing) return;
    const open = comp !== null && !list.hidden;
    let handled = true;
    if (open && ev.key === "ArrowDown") {
      active = (active + 1) % comp.items.length;
      paintActive();
    } else if (open && ev.key === "ArrowUp") {
      active = (active - 1 + comp.items.length) % comp.items.length;
      paintActive();
    } else if (open && (ev.key === "Enter" || ev.key === "Tab")) {
      accept(active);
    } else if (open && ev.key === "Escape") {
      closeList();
    } else if (!open && (ev.key === "ArrowDown" || (ev.key === " " && ev.ctrlKey))) {
      openList(false);
    } else if (!open && ev.key === "Enter") {
      submit();
    } else {
      handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  });
  listen(input, "blur", () => {
    closeList();
    showErrors();
  });
  listen(input, "click", () => {
    closeList();
    showErrors();
  });
  listen(input, "scroll", syncScroll);
  listen(input, "keyup", (ev) => {
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight" || ev.key === "Home" || ev.key === "End") showErrors();
    syncScroll();
  });

  onModel("change:value", () => {
    const v = model.get("value") ?? "";
    if (input.value !== v) {
      input.value = v;
      kernelFresh = false;
      closeList();
    }
    showErrors();
  });
  onModel("change:columns", () => {
    showErrors();
    if (comp) openList(false);
  });
  onModel("change:errors", () => {
    kernelFresh = true;
    showErrors();
  });
  onModel("change:checked", showErrors);
  onModel("change:submit_count", showErrors);
  onModel("change:placeholder", () => {
    input.placeholder = model.get("placeholder") ?? "";
  });

  input.value = model.get("value") ?? "";
  input.placeholder = model.get("placeholder") ?? "";
  kernelFresh = typeof model.get("checked") === "string" ? false : Array.isArray(model.get("errors")) && model.get("errors").length > 0;
  showErrors();

  return () => {
    listeners.forEach((off) => off());
    for (const [name, fn] of modelHandlers) model.off(name, fn);
    closeList();
  };
}

export default { render };
