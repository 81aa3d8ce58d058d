// @vitest-environment jsdom
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import widget, { render, codePointToIndex } from "../src/index.js";
import { fakeModel } from "./fake_model.js";

const COLS = ["title", "genre", "director", "year", "duration", "odd name"];
const XSS = "<img src=x onerror=alert(1)>";

let el;
let cleanup;

function mount(initial) {
  const model = fakeModel({ columns: COLS, ...initial });
  el = document.createElement("div");
  document.body.appendChild(el);
  cleanup = render({ model, el });
  const input = el.querySelector(".kms-fe-input");
  return { model, input };
}

function type(input, text, cursor = text.length) {
  input.focus();
  input.value = text;
  input.setSelectionRange(cursor, cursor);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function key(input, k, opts = {}) {
  const ev = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...opts });
  input.dispatchEvent(ev);
  return ev;
}

const items = () => Array.from(el.querySelectorAll(".kms-fe-completions .kms-fe-item"));
const listOpen = () => !el.querySelector(".kms-fe-completions").hidden;
const errorTexts = () => Array.from(el.querySelectorAll(".kms-fe-error")).map((e) => e.textContent);
const underlines = () => Array.from(el.querySelectorAll(".kms-fe-underline"));

beforeEach(() => {
  document.body.replaceChildren();
});
afterEach(() => {
  if (cleanup) cleanup();
  cleanup = null;
});

describe("render", () => {
  it("exports the anywidget module shape", () => {
    expect(widget.render).toBe(render);
  });

  it("shows the value and placeholder, injects the style once", () => {
    const { input } = mount({ value: "genre ~ .", placeholder: "y ~ x" });
    expect(input.value).toBe("genre ~ .");
    expect(input.placeholder).toBe("y ~ x");
    const el2 = document.createElement("div");
    render({ model: fakeModel({ columns: COLS }), el: el2 });
    expect(document.querySelectorAll("style#kms-fe-style")).toHaveLength(1);
    expect(el.querySelector(".kms-fe-status").textContent).toContain("Enter to train");
  });

  it("typing updates the value trait and saves", () => {
    const { model, input } = mount();
    type(input, "genre ~ year");
    expect(model.get("value")).toBe("genre ~ year");
    expect(model.saved.at(-1).value).toBe("genre ~ year");
  });

  it("opens completions while typing and accepts one with Tab", () => {
    const { model, input } = mount();
    type(input, "genre ~ dir");
    expect(listOpen()).toBe(true);
    expect(items().map((i) => i.querySelector(".kms-fe-item-label").textContent)).toEqual(["director"]);
    const ev = key(input, "Tab");
    expect(ev.defaultPrevented).toBe(true);
    expect(input.value).toBe("genre ~ director");
    expect(model.get("value")).toBe("genre ~ director");
    expect(listOpen()).toBe(false);
    expect(model.get("submit_count")).toBe(0);
  });

  it("moves through completions with the arrows and accepts with Enter", () => {
    const { model, input } = mount();
    type(input, "genre ~ ");
    expect(listOpen()).toBe(true);
    const labels = items().map((i) => i.querySelector(".kms-fe-item-label").textContent);
    expect(labels[0]).toBe(".");
    key(input, "ArrowDown");
    key(input, "ArrowDown");
    key(input, "ArrowUp");
    expect(items()[1].classList.contains("kms-fe-item-active")).toBe(true);
    key(input, "Enter");
    expect(input.value).toBe(`genre ~ ${labels[1]}`);
    expect(model.get("submit_count")).toBe(0); // Enter accepted, did not train
  });

  it("accepts a completion by clicking it, back-quoting odd names", () => {
    const { model, input } = mount();
    type(input, "genre ~ odd");
    items()[0].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(input.value).toBe("genre ~ `odd name`");
    expect(model.get("value")).toBe("genre ~ `odd name`");
  });

  it("after top( the column list opens again", () => {
    const { input } = mount();
    type(input, "genre ~ to");
    const topItem = items().findIndex((i) => i.dataset.kind === "function");
    expect(topItem).toBeGreaterThanOrEqual(0);
    items()[topItem].dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(input.value).toBe("genre ~ top(");
    expect(listOpen()).toBe(true);
    expect(items().map((i) => i.dataset.kind)).toContain("column");
  });

  it("Escape closes the list; Enter then trains", () => {
    const { model, input } = mount();
    type(input, "genre ~ dir");
    key(input, "Escape");
    expect(listOpen()).toBe(false);
    key(input, "Enter");
    expect(model.get("submit_count")).toBe(1);
  });

  it("Enter with no open list increments submit_count and saves", () => {
    const { model, input } = mount();
    type(input, "genre ~ . - title");
    expect(listOpen()).toBe(false);
    const ev = key(input, "Enter");
    expect(ev.defaultPrevented).toBe(true);
    expect(model.get("submit_count")).toBe(1);
    expect(model.saved.at(-1)).toMatchObject({ value: "genre ~ . - title", submit_count: 1 });
    key(input, "Enter");
    expect(model.get("submit_count")).toBe(2);
    expect(el.querySelector(".kms-fe-status").textContent).toContain("Training requested");
  });

  it("Enter on an empty formula does not train", () => {
    const { model, input } = mount();
    key(input, "Enter");
    expect(model.get("submit_count")).toBe(0);
    expect(el.querySelector(".kms-fe-status").textContent).toContain("Type a formula");
  });

  it("ArrowDown opens the list on demand (operators after a term)", () => {
    const { input } = mount();
    type(input, "genre ~ . ");
    expect(listOpen()).toBe(false);
    key(input, "ArrowDown");
    expect(listOpen()).toBe(true);
    expect(items().map((i) => i.querySelector(".kms-fe-item-label").textContent)).toEqual(["+", "-"]);
  });

  it("underlines an unknown column at once (client-side check)", () => {
    const { input } = mount();
    type(input, "genre ~ directr");
    key(input, "Escape");
    const u = underlines();
    expect(u).toHaveLength(1);
    expect(u[0].textContent).toBe("directr");
    expect(errorTexts()[0]).toContain("did you mean 'director'");
    el.querySelector(".kms-fe-suggestion").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(input.value).toBe("genre ~ director");
    expect(underlines()).toHaveLength(0);
  });

  it("does not flag a name while it is being typed, but does once the cursor leaves it", () => {
    const { input } = mount();
    type(input, "genre ~ dir");
    expect(underlines()).toHaveLength(0);
    expect(errorTexts()).toEqual([]);
    input.blur();
    expect(underlines().map((u) => u.textContent)).toEqual(["dir"]);
    type(input, "genre ~ dir + year", 11); // cursor still at the end of "dir"
    expect(underlines()).toHaveLength(0);
    input.setSelectionRange(18, 18);
    input.dispatchEvent(new KeyboardEvent("keyup", { key: "End", bubbles: true }));
    expect(underlines().map((u) => u.textContent)).toEqual(["dir"]);
  });

  it("shows the kernel's errors (errors trait change) with underline and message", () => {
    const { model, input } = mount({ value: "genre ~ year + budgt" });
    expect(input.value).toBe("genre ~ year + budgt");
    model.kernelUpdate({
      checked: "genre ~ year + budgt",
      errors: [{ start: 15, end: 20, message: "unknown column 'budgt'; did you mean 'budget'?", suggestion: "budget" }],
    });
    const u = underlines();
    expect(u).toHaveLength(1);
    expect(u[0].textContent).toBe("budgt");
    expect(u[0].title).toContain("unknown column 'budgt'");
    expect(errorTexts()).toHaveLength(1);
    expect(errorTexts()[0]).toContain("did you mean 'budget'?");
    expect(el.querySelector(".kms-fe-input").getAttribute("aria-invalid")).toBe("true");
  });

  it("kernel errors win over the client check, but only for the text they were computed for", () => {
    const { model, input } = mount({ value: "genre ~ year" });
    model.kernelUpdate({ checked: "genre ~ year", errors: [{ start: 8, end: 12, message: "year is a datetime column" }] });
    expect(errorTexts()).toEqual(["year is a datetime column"]);
    type(input, "genre ~ year + title");
    expect(errorTexts()).toEqual([]); // stale kernel errors are not shown on the new text
    model.kernelUpdate({ checked: "genre ~ year + title", errors: [] });
    expect(errorTexts()).toEqual([]);
  });

  it("works with a model that only has the errors trait", () => {
    const { model } = mount({ value: "genre ~ x", checked: undefined });
    model.kernelUpdate({ errors: [{ start: 8, end: 9, message: "no x" }] });
    expect(underlines().map((u) => u.textContent)).toEqual(["x"]);
    model.kernelUpdate({ errors: [] });
    expect(underlines()).toHaveLength(0);
  });

  it("converts the kernel's code-point spans to UTF-16 positions", () => {
    expect(codePointToIndex("😀ab", 1)).toBe(2);
    const { model } = mount({ value: "`😀` ~ year + yaer", columns: ["😀", "year"] });
    model.kernelUpdate({ checked: "`😀` ~ year + yaer", errors: [{ start: 13, end: 17, message: "unknown column 'yaer'" }] });
    expect(underlines().map((u) => u.textContent)).toEqual(["yaer"]);
  });

  it("follows value, columns and placeholder changes from the kernel", () => {
    const { model, input } = mount({ value: "genre ~ ." });
    model.kernelUpdate({ value: "genre ~ newcol" });
    expect(input.value).toBe("genre ~ newcol");
    expect(underlines().map((u) => u.textContent)).toEqual(["newcol"]);
    model.kernelUpdate({ columns: [...COLS, "newcol"] });
    expect(underlines()).toHaveLength(0);
    model.kernelUpdate({ placeholder: "type here" });
    expect(input.placeholder).toBe("type here");
  });

  it("shows a hostile column name as text, never as HTML", () => {
    const { model, input } = mount({ columns: [XSS, "genre", '"; alert(1)//'] });
    type(input, "genre ~ ");
    const labels = items().map((i) => i.querySelector(".kms-fe-item-label").textContent);
    expect(labels).toContain(XSS);
    expect(el.querySelector("img")).toBeNull();
    type(input, "genre ~ `<im");
    key(input, "Tab");
    expect(input.value).toBe("genre ~ `<img src=x onerror=alert(1)>`");
    type(input, "genre ~ <im"); // without the back-quote: the stray "<" belongs to the prefix
    key(input, "Tab");
    expect(input.value).toBe("genre ~ `<img src=x onerror=alert(1)>`");
    expect(underlines()).toHaveLength(0);
    type(input, "genre ~ `<img src=y onerror=alert(1)>`");
    expect(errorTexts()[0]).toContain(XSS);
    model.kernelUpdate({
      checked: input.value,
      errors: [{ start: 8, end: 37, message: `<b>bold</b>${XSS}`, suggestion: XSS }],
    });
    expect(errorTexts()[0]).toContain(`<b>bold</b>${XSS}`);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("b")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
  });

  it("cleanup removes the listeners", () => {
    const { model, input } = mount();
    expect(model.listenerCount()).toBeGreaterThan(0);
    cleanup();
    cleanup = null;
    expect(model.listenerCount()).toBe(0);
    type(input, "genre ~ year");
    expect(model.get("value")).toBe("");
    key(input, "Enter");
    expect(model.get("submit_count")).toBe(0);
  });
});
