// Small live line charts, drawn as SVG by hand: a few paths over a fixed time window, scaled to the
// largest value shown. No library: the page must be served whole by the node.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 64;
const TOP = 14; // room for the label above the lines

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

/** An empty chart: an <svg> in the SVG namespace (document.createElement would make an inert one). */
export function chartElement(attrs) {
  return svgEl('svg', { class: 'chart', role: 'img', ...attrs });
}

/**
 * Redraws svg with series = [{points: [[at, value or null], …], cls}] from `from` to `to` (epoch ms).
 * A null value (a ping that did not come) breaks the line instead of dropping it to zero.
 */
export function drawChart(svg, { title, unit, series, from, to }) {
  const values = series.flatMap(s => s.points.map(p => p[1])).filter(v => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...values));
  const span = Math.max(1, to - from);
  const x = at => ((at - from) / span) * WIDTH;
  const y = v => HEIGHT - (v / max) * (HEIGHT - TOP);

  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.replaceChildren(
    svgEl('line', { x1: 0, x2: WIDTH, y1: TOP, y2: TOP, class: 'grid' }),
    svgEl('line', { x1: 0, x2: WIDTH, y1: HEIGHT - 0.5, y2: HEIGHT - 0.5, class: 'axis' }));
  for (const s of series) {
    let d = '';
    let pen = 'M';
    for (const [at, v] of s.points) {
      if (v === null || v === undefined || at < from) {
        pen = 'M';
        continue;
      }
      d += `${pen}${x(at).toFixed(1)},${y(v).toFixed(1)}`;
      pen = 'L';
    }
    if (d) svg.append(svgEl('path', { d, class: `line ${s.cls}`, 'vector-effect': 'non-scaling-stroke' }));
  }
  // The label is HTML beside the SVG (see the caller), since text in a stretched SVG distorts.
  svg.dataset.max = max;
  svg.setAttribute('aria-label', `${title}, scale 0 to ${max} ${unit}`);
}

/** 1, 2 or 5 times a power of ten, at least the largest value: a scale a reader can take in. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}
