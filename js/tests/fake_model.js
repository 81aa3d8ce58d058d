// A small stand-in for anywidget's model: get/set/on/off/save_changes, firing change:<name>
// like Backbone does (only when the value changes).
export function fakeModel(initial = {}) {
  const state = {
    value: "",
    columns: [],
    errors: [],
    checked: "",
    submit_count: 0,
    placeholder: "outcome ~ predictors",
    ...initial,
  };
  const handlers = new Map();
  const saved = [];
  const fire = (name) => (handlers.get(`change:${name}`) || []).slice().forEach((fn) => fn());
  return {
    saved,
    state,
    get: (name) => state[name],
    set(name, value) {
      const changed = JSON.stringify(state[name]) !== JSON.stringify(value);
      state[name] = value;
      if (changed) fire(name);
    },
    on(event, fn) {
      if (!handlers.has(event)) handlers.set(event, []);
      handlers.get(event).push(fn);
    },
    off(event, fn) {
      const list = handlers.get(event) || [];
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    },
    save_changes() {
      saved.push({ ...state });
    },
    listenerCount() {
      let n = 0;
      for (const list of handlers.values()) n += list.length;
      return n;
    },
    /** a change coming from the kernel: several traits at once, then the events */
    kernelUpdate(patch) {
      const changed = Object.keys(patch).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(patch[k]));
      Object.assign(state, patch);
      changed.forEach(fire);
    },
  };
}
