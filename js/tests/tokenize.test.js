import { describe, it, expect } from "vitest";
import { tokenize, annotate, needsQuoting, quoteName } from "../src/tokenize.js";

const brief = (text) => tokenize(text).map((t) => [t.type, t.value]);

describe("tokenize", () => {
  it("splits a simple formula with positions", () => {
    const toks = tokenize("genre ~ . - director");
    expect(toks.map((t) => [t.type, t.text, t.start, t.end])).toEqual([
      ["name", "genre", 0, 5],
      ["op", "~", 6, 7],
      ["dot", ".", 8, 9],
      ["op", "-", 10, 11],
      ["name", "director", 12, 20],
    ]);
  });

  it("reads function calls, numbers and commas", () => {
    expect(brief("y ~ top(director, 50) + np.log(x) + C(year)")).toEqual([
      ["name", "y"], ["op", "~"],
      ["func", "top"], ["lparen", "("], ["name", "director"], ["comma", ","], ["number", 50], ["rparen", ")"],
      ["op", "+"], ["func", "np.log"], ["lparen", "("], ["name", "x"], ["rparen", ")"],
      ["op", "+"], ["func", "C"], ["lparen", "("], ["name", "year"], ["rparen", ")"],
    ]);
  });

  it("keeps back-quoted names whole, with the quotes in the span", () => {
    const toks = tokenize("y ~ `odd name` + `a\\`b`");
    expect(toks[2]).toMatchObject({ type: "name", value: "odd name", text: "`odd name`", start: 4, end: 14, quoted: true, closed: true });
    expect(toks[4]).toMatchObject({ type: "name", value: "a`b", quoted: true, closed: true });
  });

  it("marks an unclosed back-quote", () => {
    const toks = tokenize("y ~ `odd na");
    expect(toks[2]).toMatchObject({ type: "name", value: "odd na", closed: false, start: 4, end: 11 });
  });

  it("handles operators ** : * and %in%, decimals, unicode names and odd characters", () => {
    expect(brief("y~a:b*c**2 + .5 + año + 3.25e2 $")).toEqual([
      ["name", "y"], ["op", "~"], ["name", "a"], ["op", ":"], ["name", "b"], ["op", "*"], ["name", "c"],
      ["op", "**"], ["number", 2], ["op", "+"], ["number", 0.5], ["op", "+"], ["name", "año"],
      ["op", "+"], ["number", 325], ["unknown", "$"],
    ]);
    expect(brief("y ~ x %in% z")[3]).toEqual(["op", "%in%"]);
  });

  it("treats a name before spaces and ( as a function", () => {
    expect(brief("top (x, 2)")[0]).toEqual(["func", "top"]);
  });

  it("annotates roles: columns, keywords, later arguments, sides", () => {
    const toks = annotate(tokenize("y ~ top(director, n = 50) - title + C(year, Sum)"));
    const names = toks.filter((t) => t.type === "name").map((t) => [t.value, t.role, t.side, Boolean(t.negated)]);
    expect(names).toEqual([
      ["y", "column", "lhs", false],
      ["director", "column", "rhs", false],
      ["n", "keyword", "rhs", false],
      ["title", "column", "rhs", true],
      ["year", "column", "rhs", false],
      ["Sum", "arg", "rhs", false],
    ]);
  });
});

describe("quoting", () => {
  it("quotes names that are not plain identifiers", () => {
    expect(needsQuoting("director")).toBe(false);
    expect(needsQuoting("año")).toBe(false);
    expect(needsQuoting("odd name")).toBe(true);
    expect(needsQuoting("cast.likes")).toBe(true);
    expect(needsQuoting("2x")).toBe(true);
    expect(needsQuoting("class")).toBe(true);
    expect(quoteName("odd name")).toBe("`odd name`");
    expect(quoteName("a`b")).toBe("`a\\`b`");
    expect(quoteName("<img src=x onerror=alert(1)>")).toBe("`<img src=x onerror=alert(1)>`");
  });

  it("round-trips quoted names through the tokenizer", () => {
    for (const name of ["odd name", "a`b", "back\\slash", "<img src=x onerror=alert(1)>", '"; alert(1)//']) {
      const toks = tokenize(`y ~ ${quoteName(name)}`);
      expect(toks).toHaveLength(3);
      expect(toks[2]).toMatchObject({ type: "name", value: name, closed: true });
    }
  });
});
