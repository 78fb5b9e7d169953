import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/**
 * Render DOT to SVG offline with Graphviz compiled to WebAssembly (`@viz-js/viz`): no browser, no
 * native Graphviz, no network. The WebAssembly instance is created once and reused.
 *
 * @param dot Graphviz source (see `toDot`).
 * @returns the SVG document, without the XML prolog and DOCTYPE (so it can be inlined in HTML),
 *   ending with a newline.
 * @throws Error with Graphviz's messages when the DOT does not parse.
 * @example
 * fs.writeFileSync('chart.svg', await renderSvg(toDot(instanceBackup)));
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') throw new Error(`renderSvg: ${result.errors.map((e) => e.message).join('; ')}`);
  const svg = result.output.slice(result.output.indexOf('<svg'));
  return svg.endsWith('\n') ? svg : `${svg}\n`;
}
