// Small DOM helpers. Text only ever goes in through textContent, so data from a node or a user
// (an assistant's name, a reply) can never become markup.

/** Builds an element: attrs sets attributes (class, data-*, …); children are nodes or strings (text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Sets the text of the first match of selector under root. */
export function setText(root, selector, text) {
  $(selector, root).textContent = text;
}

/** HH:MM:SS in the browser's time zone, from epoch milliseconds or an ISO-8601 string. */
export function clock(time) {
  return new Date(time).toLocaleTimeString([], { hour12: false });
}

/** A short human duration: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A rate or latency with as many decimals as its size deserves. */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value === 0) return '0';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}
