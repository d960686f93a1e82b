import { FanOut, FanOutMode, WorkflowStep } from './step';
import { gib } from '../private/errors';

/** A Mermaid flowchart of the steps: each fan-out a subgraph of its steps, an edge per dependency. */
export function mermaidOf(
  steps: readonly WorkflowStep[],
  fanOuts: readonly FanOut[],
  modeOf: (f: FanOut) => FanOutMode,
): string {
  const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const label = (s: WorkflowStep) => {
    const r = s._options.job.resources;
    return `${id(s.name)}["${s.name}<br/>${r.vcpus} vCPU, ${gib(r.memory.toMebibytes())}"]`;
  };
  const lines = ['flowchart TD'];
  for (const f of fanOuts) {
    const mode = modeOf(f) === FanOutMode.DISTRIBUTED ? 'Distributed Map' : 'Inline Map';
    const items = f.manifest ? 'the manifest' : f.itemsPath;
    lines.push(`  subgraph ${id(f.name)}["for each item of ${items} (${mode}, ${f.maxConcurrency} at once)"]`);
    for (const s of steps.filter((x) => x.forEach === f)) {
      lines.push(`    ${label(s)}`);
    }
    lines.push('  end');
  }
  for (const s of steps.filter((x) => !x.forEach)) {
    lines.push(`  ${label(s)}`);
  }
  const edges = new Set<string>();
  for (const s of steps) {
    for (const d of s.dependencies) {
      const from = s.forEach && d.forEach === s.forEach ? d.name : d.forEach ? d.forEach.name : d.name;
      const to = s.forEach && d.forEach !== s.forEach ? s.forEach.name : s.name;
      edges.add(`  ${id(from)} --> ${id(to)}`);
    }
  }
  lines.push(...edges);
  return lines.join('\n');
}
