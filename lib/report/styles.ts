/** The run report's colours and styles: inline in the page (it loads nothing). */

/** The colour of each kind of segment on the timeline, and its legend. */
export const SEGMENT_COLOURS = {
  queued: { fill: '#c4c9d0', label: 'waiting for capacity (RUNNABLE)' },
  running: { fill: '#8fd19e', label: 'running' },
  succeeded: { fill: '#2e9e4f', label: 'ran and succeeded' },
  'on-demand': { fill: '#2f6fd6', label: 'On-Demand fallback after Spot' },
  'spot-interruption': { fill: '#f08c00', label: 'Spot interruption' },
  'out-of-memory': { fill: '#8e44ad', label: 'out-of-memory kill (escalated)' },
  'spot-wait': { fill: '#d9a441', label: 'cancelled at the Spot wait limit' },
  failed: { fill: '#d63031', label: 'failed' },
} as const;

/** A kind of timeline segment. */
export type SegmentKind = keyof typeof SEGMENT_COLOURS;

export const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .sub { color: #c9d1dc; }
main { padding: 16px 24px 48px; max-width: 1500px; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px 16px; margin: 16px 0; overflow-x: auto; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 12px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; white-space: nowrap; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; }
.tile { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 8px 12px; min-width: 140px; }
.tile .k { color: #5b6472; font-size: 12px; }
.tile .v { font-size: 18px; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 6px 0; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -2px; }
.timeline { overflow-x: auto; }
pre { background: #11161d; color: #e6edf3; padding: 8px; border-radius: 4px; overflow-x: auto; font-size: 12px; margin: 4px 0; }
code { background: #eef0f3; padding: 1px 4px; border-radius: 3px; }
.failure { border-top: 1px solid #eef0f3; padding: 8px 0; }
.muted { color: #5b6472; }
.bad { color: #b42318; }
.share { display: flex; height: 18px; border-radius: 3px; overflow: hidden; margin: 6px 0; }
.share div { height: 100%; }
`;
