import { FanOut, WorkflowStep } from '../../../lib';
import { checkPath, checkStepRead, inputReads, itemReads } from '../../../lib/workflow/plan/paths';
import { genomicsJobs, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const at = scopeAt('Test/Wf');

describe('checkPath', () => {
  test('a value that is not a JSONPath is refused, with the item path it probably meant', () => {
    expect(() => checkPath(at, "steps['tiles'].arraySizePath", 'chunks')).toThrow(
      "Test/Wf: steps['tiles'].arraySizePath 'chunks' is not allowed; allowed: a JSONPath starting with '$' (state) or '$$' (context). Fix: use e.g. '$.item.chunks'",
    );
    expect(() => checkPath(at, "steps['tiles'].arraySizePath", '$.item.chunks')).not.toThrow();
  });
});

describe('checkStepRead', () => {
  const f = new FanOut('samples');
  const inFanOut = new WorkflowStep('qc', { job: g.jobs.qc, forEach: f });
  const outside = new WorkflowStep('aggregate', { job: g.jobs.aggregate });
  const read = (path: string) => ({ path, type: 'string' as const, prop: "steps['x'].parameters.p" });

  test('item paths in a fan-out, input and context paths outside one', () => {
    for (const path of ['$.item.id', '$.item.files[0]', '$$.Execution.Name']) {
      expect(() => checkStepRead(at, inFanOut, read(path))).not.toThrow();
    }
    for (const path of ['$$.Execution.Input.reference', '$.cohort.name', '$$.State.EnteredTime']) {
      expect(() => checkStepRead(at, outside, read(path))).not.toThrow();
    }
  });

  test('a wildcard is refused: no check can test what it selects', () => {
    expect(() => checkStepRead(at, inFanOut, read('$.item.files[*]'))).toThrow(
      "Test/Wf: steps['x'].parameters.p '$.item.files[*]' is not allowed; allowed: a reference path of field names and indexes, e.g. '$.item.lab' or '$.item.files[0]' (no filters, wildcards or quoted names). Fix: name the field directly, e.g. '$.item.lab'",
    );
  });

  test('an item path outside a fan-out is refused', () => {
    expect(() => checkStepRead(at, outside, read('$.item.lab'))).toThrow(
      "Test/Wf: steps['x'].parameters.p '$.item.lab', in step 'aggregate', which is not part of a fan-out is not allowed; allowed: paths of the execution input outside a fan-out. Fix: read it from the input, e.g. '$$.Execution.Input.lab', or set forEach",
    );
  });
});

describe('what the run checks before reading', () => {
  test("an item's declared fields, then the paths its steps name, each once", () => {
    const f = new FanOut('slides', { itemFields: ['id', 'lab'] });
    const reads = itemReads(at, f, [
      { path: '$.item.lab', type: 'string', prop: "steps['tiles'].shareIdentifier" },
      { path: '$.item.chunks', type: 'number', prop: "steps['tiles'].arraySizePath" },
    ]);
    expect(reads.map((r) => `${r.path}:${r.type}`)).toEqual([
      '$.item.id:string',
      '$.item.lab:string',
      '$.item.chunks:number',
    ]);
  });

  test('a path read as a string and as a number is refused', () => {
    const f = new FanOut('slides', { itemFields: ['id', 'n'] });
    expect(() =>
      itemReads(at, f, [{ path: '$.item.n', type: 'number', prop: "steps['tiles'].arraySizePath" }]),
    ).toThrow(
      "Test/Wf: steps['tiles'].arraySizePath '$.item.n', read as a number here and as a string by forEach 'slides'.itemFields is not allowed; allowed: one type per path (parameters, environment and share identifiers are strings, array sizes numbers). Fix: read the array size and the string from different fields",
    );
  });

  test('the input: its fields, not the context or what the workflow writes itself', () => {
    const samples = new FanOut('samples');
    const reads = inputReads(
      at,
      [samples],
      ['$$.Execution.Input.reference', '$.cohort.name', '$$.Execution.Name', '$.samplesSummary.status'].map((path) => ({
        path,
        type: 'string' as const,
        prop: "steps['aggregate'].environment.X",
      })),
    );
    expect(reads.map((r) => r.path)).toEqual(['$$.Execution.Input.reference', '$.cohort.name']);
  });
});
