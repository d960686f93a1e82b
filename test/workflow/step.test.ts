import { FanOut, FanOutMode } from '../../lib';

// The public value types of a workflow (lib/workflow/step.ts): every default has a test.

describe('FanOut defaults', () => {
  const f = new FanOut('items');

  test("items are read from the input's `items` field", () => {
    expect(f.itemsPath).toBe('$.items');
  });

  test("an item is identified by its `id` field, and carries just that one (neutral: no sample's fields)", () => {
    expect(f.idField).toBe('id');
    expect(f.itemFields).toEqual(['id']);
  });

  test('the item fields default to the id field given', () => {
    expect(new FanOut('lanes', { idField: 'laneId' }).itemFields).toEqual(['laneId']);
  });

  test('50 at once, 500 expected items, AUTO mode, more than 10% failed stops the steps after it', () => {
    expect([f.maxConcurrency, f.expectedItems, f.mode]).toEqual([50, 500, FanOutMode.AUTO]);
    expect([f.maxFailedPercentage, f.maxFailedItems]).toEqual([10, undefined]);
    expect(new FanOut('x', { maxFailedItems: 0 }).maxFailedPercentage).toBe(undefined);
  });
});
