/**
 * The inspector page's stylesheet, inlined in the page (no external asset). Active states are
 * highlighted by toggling the `active` class on the chart's `g[data-state]` groups.
 */
export const inspectorStyle = `
:root { color-scheme: light; --accent: #d9480f; --ok: #2b8a3e; --warn: #e67700; --bad: #c92a2a; --muted: #868e96; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background: #f1f3f5; color: #212529; }
header.bar { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #212529; color: #f8f9fa; }
header.bar h1 { font-size: 17px; margin: 0; }
header.bar .mode, header.bar .connection { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #495057; }
header.bar .connection.live { background: var(--ok); }
main { padding: 12px 16px; }
.empty { color: var(--muted); padding: 24px; }
section.instance { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); margin-bottom: 16px; padding: 12px 16px; }
section.instance > header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; border-bottom: 1px solid #e9ecef; padding-bottom: 8px; }
section.instance h2 { font-size: 16px; margin: 0; }
.state { font: 13px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background: #fff4e6; color: var(--accent); border: 1px solid #ffc078; border-radius: 4px; padding: 2px 8px; }
button.stop { margin-left: auto; font-weight: 700; color: #fff; background: var(--bad); border: 0; border-radius: 4px; padding: 6px 16px; cursor: pointer; }
button.stop:disabled { background: #adb5bd; cursor: default; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(380px, 1fr); gap: 16px; margin-top: 10px; }
.chart { overflow: auto; max-height: 86vh; border: 1px solid #e9ecef; border-radius: 6px; background: #fff; }
.chart svg { width: 100%; height: auto; display: block; }
.chart g.node.active > path, .chart g.node.active > polygon, .chart g.node.active > ellipse { fill: #ffd8a8; stroke: var(--accent); stroke-width: 3px; }
.chart g.cluster.active:not(.region) > path, .chart g.cluster.active:not(.region) > polygon { fill: #fff4e6; stroke: var(--accent); stroke-width: 2.5px; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #495057; margin: 12px 0 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-weight: 600; }
table.calls { border-collapse: collapse; width: 100%; font-size: 12px; }
table.calls td { padding: 2px 6px; border-bottom: 1px solid #f1f3f5; vertical-align: top; }
table.calls td.verdict { white-space: nowrap; font-weight: 700; }
tr.allowed td.verdict { color: var(--ok); }
tr.depends td.verdict { color: var(--warn); }
tr.refused td.verdict { color: var(--bad); }
tr.refused td.call { color: var(--muted); }
td.rule { color: var(--muted); }
ol.timeline { list-style: none; margin: 0; padding: 0; max-height: 42vh; overflow: auto; font-size: 12px; border: 1px solid #e9ecef; border-radius: 6px; }
ol.timeline li { display: grid; grid-template-columns: 86px 72px 1fr; gap: 6px; padding: 3px 6px; border-bottom: 1px solid #f1f3f5; }
ol.timeline time { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); }
.badge { font-size: 11px; font-weight: 700; text-align: center; border-radius: 3px; padding: 0 4px; background: #e9ecef; color: #495057; }
li.kind-stop .badge { background: #ffe8cc; color: var(--accent); }
li.kind-refused .badge, li.kind-error .badge { background: #ffe3e3; color: var(--bad); }
li.kind-outcome .badge { background: #d0ebff; color: #1864ab; }
li.kind-refused, li.kind-stop { font-weight: 600; }
`;
