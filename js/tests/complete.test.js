import { describe, it, expect } from "vitest";
import { completions, applyCompletion } from "../src/complete.js";

const COLS = ["title", "genre", "director", "year", "duration", "gross", "odd name", "Dir_code"];
const labels = (c) => c.items.map((i) => i.label);

describe("completions", () => {
  it("offers columns matching the prefix, prefix matches first", () => {
    const text = "genre ~ dir";
    const c = completions(text, text.length, COLS);
    expect(c).toMatchObject({ from: 8, to: 11, prefix: "dir", context: "term" });
    expect(labels(c)).toEqual(["director", "Dir_code"]);
    const d = completions("genre ~ ra", 10, COLS);
    expect(labels(d)).toEqual(["duration"]); // substring match
  });

  it("offers ., columns and top( after ~", () => {
    const c = completions("genre ~ ", 8, COLS);
    expect(c.context).toBe("term");
    expect(labels(c)[0]).toBe(".");
    expect(labels(c)).toContain("top(");
    expect(labels(c)).toContain("year");
  });

  it("ranks a column already used lower", () => {
    const text = "genre ~ year + ";
    const c = completions(text, text.length, COLS);
    const l = labels(c);
    expect(l.indexOf("year")).toBeGreaterThan(l.indexOf("title"));
    expect(l.indexOf("genre")).toBeGreaterThan(l.indexOf("duration")); // outcome counts as used
    expect(c.items.find((i) => i.label === "year").used).toBe(true);
  });

  it("offers names needing quotes back-quoted", () => {
    const text = "genre ~ od";
    const c = completions(text, text.length, COLS);
    expect(c.items[0]).toMatchObject({ label: "odd name", insert: "`odd name`" });
    expect(applyCompletion(text, c, c.items[0])).toEqual({ text: "genre ~ `odd name`", cursor: 18 });
  });

  it("completes inside an open back-quote", () => {
    const text = "genre ~ `odd";
    const c = completions(text, text.length, COLS);
    expect(c).toMatchObject({ from: 8, to: 12, prefix: "odd" });
    expect(applyCompletion(text, c, c.items[0]).text).toBe("genre ~ `odd name`");
  });

  it("offers top( for a t prefix and columns as its first argument", () => {
    const c = completions("genre ~ to", 10, COLS);
    expect(labels(c)).toContain("top(");
    const r = applyCompletion("genre ~ to", c, c.items.find((i) => i.label === "top("));
    expect(r).toEqual({ text: "genre ~ top(", cursor: 12 });
    const inside = completions(r.text, r.cursor, COLS);
    expect(inside.context).toBe("term");
    expect(labels(inside)).not.toContain(".");
    expect(labels(inside)).toContain("director");
  });

  it("offers nothing for the count of top()", () => {
    const text = "genre ~ top(director, ";
    expect(completions(text, text.length, COLS)).toMatchObject({ context: "value", items: [] });
  });

  it("offers operators after a complete term", () => {
    const c = completions("genre ~ . ", 10, COLS);
    expect(c.context).toBe("operator");
    expect(labels(c)).toEqual(["+", "-"]);
    const r = applyCompletion("genre ~ . ", c, c.items[1]);
    expect(r.text).toBe("genre ~ . - ");
    const lhs = completions("genre", 5, COLS); // cursor in the name: still the name
    expect(lhs.context).toBe("term");
    const after = completions("genre ", 6, COLS);
    expect(labels(after)).toEqual(["~"]);
  });

  it("replaces the whole token when the cursor is inside it", () => {
    const text = "genre ~ dirXYZ + year";
    const c = completions(text, 11, COLS);
    expect(c).toMatchObject({ from: 8, to: 14, prefix: "dir" });
    expect(applyCompletion(text, c, c.items[0]).text).toBe("genre ~ director + year");
  });

  it("treats stray characters next to a name as part of the prefix", () => {
    const cols = ["<img src=x onerror=alert(1)>", "genre", "2x"];
    const text = "genre ~ <im";
    const c = completions(text, text.length, cols);
    expect(c).toMatchObject({ from: 8, to: 11, prefix: "<im", context: "term" });
    expect(applyCompletion(text, c, c.items[0]).text).toBe("genre ~ `<img src=x onerror=alert(1)>`");
    const lone = completions("genre ~ <", 9, cols);
    expect(lone).toMatchObject({ from: 8, prefix: "<" });
    expect(lone.items.map((i) => i.label)).toEqual(["<img src=x onerror=alert(1)>"]);
    const num = completions("genre ~ 2x", 10, cols);
    expect(num).toMatchObject({ from: 8, prefix: "2x" });
    expect(num.items[0]).toMatchObject({ label: "2x", insert: "`2x`" });
  });

  it("offers no columns for a bare number", () => {
    const c = completions("genre ~ year - 1", 16, COLS);
    expect(c.context).toBe("operator");
    expect(c.items.every((i) => i.kind === "operator")).toBe(true);
  });

  it("limits the number of items", () => {
    const many = Array.from({ length: 500 }, (_, i) => `x${i}`);
    expect(completions("y ~ x", 5, many).items).toHaveLength(50);
  });
});
