// Styles of the formula editor, injected once per document.
export const CSS = `
.kms-fe { font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px; max-width: 100%; }
.kms-fe-field { position: relative; }
.kms-fe-mirror, .kms-fe-input {
  font-family: var(--jp-code-font-family, monospace); font-size: 13px; line-height: 20px;
  padding: 4px 6px; border: 1px solid transparent; box-sizing: border-box; width: 100%;
  letter-spacing: normal; white-space: pre; margin: 0;
}
.kms-fe-mirror {
  position: absolute; inset: 0; overflow: hidden; color: transparent; pointer-events: none;
}
.kms-fe-input {
  position: relative; background: transparent; border-color: var(--jp-border-color1, #bbb);
  color: var(--jp-content-font-color1, #111); outline: none; border-radius: 2px;
}
.kms-fe-input:focus { border-color: var(--jp-brand-color1, #1976d2); }
.kms-fe-underline { text-decoration: underline wavy #d32f2f; text-decoration-skip-ink: none; }
.kms-fe-completions {
  position: absolute; left: 0; top: 100%; z-index: 1000; list-style: none; margin: 2px 0 0; padding: 2px 0;
  min-width: 14em; max-height: 14em; overflow-y: auto; background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); box-shadow: 0 2px 6px rgba(0,0,0,.2);
}
.kms-fe-completions[hidden] { display: none; }
.kms-fe-item { padding: 1px 8px; cursor: pointer; white-space: pre; display: flex; gap: 1em; }
.kms-fe-item-label { font-family: var(--jp-code-font-family, monospace); }
.kms-fe-item-detail { color: var(--jp-content-font-color2, #777); margin-left: auto; font-size: 11px; }
.kms-fe-item-used .kms-fe-item-label { opacity: .6; }
.kms-fe-item-active { background: var(--jp-brand-color3, #bbdefb); }
.kms-fe-errors { margin: 2px 0 0; padding: 0; list-style: none; }
.kms-fe-error { color: #c62828; white-space: pre-wrap; }
.kms-fe-suggestion {
  margin-left: .5em; font: inherit; font-size: 11px; padding: 0 6px; cursor: pointer;
  border: 1px solid #c62828; background: transparent; color: #c62828; border-radius: 2px;
}
.kms-fe-status { color: var(--jp-content-font-color2, #666); font-size: 11px; min-height: 1.3em; }
`;

export function injectStyle(doc) {
  if (!doc || !doc.head || doc.getElementById("kms-fe-style")) return;
  const style = doc.createElement("style");
  style.id = "kms-fe-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}
