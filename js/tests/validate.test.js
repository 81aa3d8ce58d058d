import { describe, it, expect } from "vitest";
import { validate, similarity, closestMatch } from "../src/validate.js";

const COLS = ["title", "genre", "director", "year", "duration", "gross", "budget", "rating", "odd name"];

describe("similarity and closestMatch (difflib semantics)", () => {
  it("matches difflib.SequenceMatcher.ratio values", () => {
    // values computed with Python's difflib
    expect(similarity("directr", "director")).toBeCloseTo(0.9333333, 6);
    expect(similarity("abcd", "bcde")).toBeCloseTo(0.75, 6);
    expect(similarity("yaer", "year")).toBeCloseTo(0.75, 6);
    expect(similarity("", "")).toBe(1);
    expect(similarity("abc", "xyz")).toBe(0);
  });
  it("suggests the closest column, case-insensitive exact match first", () => {
    expect(closestMatch("directr", COLS)).toBe("director");
    expect(closestMatch("GENRE", COLS)).toBe("genre");
    expect(closestMatch("zzzzzz", COLS)).toBe(null);
  });
});

describe("validate", () => {
  it("accepts a valid formula", () => {
    expect(validate("genre ~ . - director - title", COLS)).toEqual([]);
    expect(validate("genre ~ top(director, 50) + np.log(gross) + C(year) + `odd name`", COLS)).toEqual([]);
    expect(validate("genre ~ top(director, n = 5)", COLS)).toEqual([]);
  });

  it("flags an unknown column with span, message and suggestion", () => {
    const text = "genre ~ directr + year";
    const [p, ...rest] = validate(text, COLS);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ start: 8, end: 15, suggestion: "director", replacement: "director" });
    expect(text.slice(p.start, p.end)).toBe("directr");
    expect(p.message).toContain("unknown column 'directr'");
    expect(p.message).toContain("did you mean 'director'");
  });

  it("lists the columns when nothing is close", () => {
    const [p] = validate("genre ~ zzzz", COLS);
    expect(p.suggestion).toBe(null);
    expect(p.message).toContain("columns are: title, genre");
  });

  it("suggests back-quoted replacements for odd names", () => {
    const [p] = validate("genre ~ `odd nam`", COLS);
    expect(p).toMatchObject({ start: 8, end: 17, suggestion: "odd name", replacement: "`odd name`" });
  });

  it("checks the outcome side too", () => {
    const [p] = validate("genr ~ .", COLS);
    expect(p).toMatchObject({ start: 0, end: 4, suggestion: "genre" });
  });

  it("requires exactly one ~", () => {
    expect(validate("genre", COLS)[0].message).toContain("no '~'");
    const two = validate("genre ~ year ~ title", COLS);
    expect(two).toHaveLength(1);
    expect(two[0]).toMatchObject({ start: 13, end: 14 });
  });

  it("checks parentheses", () => {
    const [a] = validate("genre ~ top(director, 5", COLS);
    expect(a).toMatchObject({ start: 8, end: 12 });
    expect(a.message).toContain("never closed");
    const [b] = validate("genre ~ year)", COLS);
    expect(b).toMatchObject({ start: 12, end: 13 });
  });

  it("checks top() arguments", () => {
    expect(validate("genre ~ top(director, 0)", COLS)[0].message).toContain("whole number above 0");
    expect(validate("genre ~ top(director, 2.5)", COLS)[0].message).toContain("whole number above 0");
    expect(validate("genre ~ top(director)", COLS)[0].message).toContain("top(column, n)");
    expect(validate("genre ~ top(director, -3)", COLS)[0].message).toContain("got '-3'");
  });

  it("flags unknown functions with a suggestion", () => {
    const [p] = validate("genre ~ tpo(director, 5)", COLS);
    expect(p).toMatchObject({ start: 8, end: 11, suggestion: "top" });
  });

  it("flags the outcome repeated as a predictor but not its removal", () => {
    expect(validate("genre ~ year + genre", COLS)[0].message).toContain("also a predictor");
    expect(validate("genre ~ . - genre", COLS)).toEqual([]);
  });

  it("flags unclosed quotes and stray characters", () => {
    expect(validate("genre ~ `odd name", COLS)[0].message).toContain("unclosed backtick");
    expect(validate("genre ~ year $ x", COLS).map((p) => p.start)).toContain(13);
  });

  it("reports an empty formula without a span", () => {
    expect(validate("  ", COLS)).toEqual([expect.objectContaining({ start: 0, end: 0 })]);
  });
});
