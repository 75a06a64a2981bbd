/**
 * A line chart as a standalone SVG (no dependencies): x linear, y
 * logarithmic, one line per series, an optional horizontal target line.
 */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
  target?: { y: number; label: string };
}

const COLOURS = ['#c0392b', '#e67e22', '#2471a3', '#27ae60', '#8e44ad'];
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChart(spec: ChartSpec): string {
  const width = 760;
  const height = 420;
  const left = 70;
  const right = 190;
  const top = 40;
  const bottom = 50;
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => Math.max(y, 0.1)), ...(spec.target ? [spec.target.y] : [])];
  const xMax = Math.max(...xs, 1);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const px = (x: number) => left + (x / xMax) * (width - left - right);
  const py = (y: number) => top + (1 - (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escape(spec.title)}</text>`);
  // Axes, decades on y, the rates on x.
  for (let decade = yMin; decade <= yMax; decade *= 10) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${py(decade)}" y2="${py(decade)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${py(decade) + 4}" text-anchor="end" font-size="11">${decade}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(x)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="black"/>`);
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="black"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle" font-size="12">${escape(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(spec.yLabel)}</text>`);
  if (spec.target) {
    const y = py(spec.target.y);
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${width - right + 8}" y="${y + 4}" font-size="11">${escape(spec.target.label)}</text>`);
  }
  spec.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const path = series.points.map(([x, y], n) => `${n === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of series.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    parts.push(`<rect x="${width - right + 8}" y="${top + 20 * i}" width="12" height="3" fill="${colour}"/>`);
    parts.push(`<text x="${width - right + 26}" y="${top + 20 * i + 5}" font-size="11">${escape(series.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
