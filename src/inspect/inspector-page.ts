import { inspectorScript } from './inspector-script.js';
import { inspectorStyle } from './inspector-style.js';

/** What the page is made of. */
export interface InspectorPageOptions {
  /** The chart (Graphviz SVG with `state:<path>` ids), cloned into each instance's card. */
  svg: string;
  /** The Content-Security-Policy nonce of the inline script and style. */
  nonce: string;
  /** Show a STOP button per instance. */
  allowStop: boolean;
  title?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The inspector's one HTML page, self-contained: stylesheet, script and chart are inline, so it
 * loads and updates with no network beyond the inspector itself. The script subscribes to
 * `api/events` (server-sent events) and renders one card per instance.
 *
 * @example
 * res.end(inspectorPage({ svg, nonce, allowStop: false }));
 */
export function inspectorPage(options: InspectorPageOptions): string {
  const title = escapeHtml(options.title ?? 'ese-backup inspector');
  const nonce = escapeHtml(options.nonce);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style nonce="${nonce}">${inspectorStyle}</style>
</head>
<body data-allow-stop="${options.allowStop}">
<header class="bar"><h1>${title}</h1><span class="mode">${options.allowStop ? 'STOP enabled' : 'read-only'}</span><span class="connection" id="connection">connecting…</span></header>
<main id="instances"><p class="empty" id="empty">No instance has a session in this coordinator yet.</p></main>
<template id="chart-template">${options.svg}</template>
<script nonce="${nonce}">${inspectorScript}</script>
</body>
</html>
`;
}
