import { formatCount, formatHours } from '../../lib/cost/cost-format';

describe('formatHours', () => {
  test.each([
    [0, '0 h'],
    [0.001, 'under 1 min'],
    [1 / 3, '20 min'],
    [0.333332, '20 min'],
    [0.999, '1 h'],
    [10 / 3, '3.3 h'],
    [40, '40 h'],
    [47.9, '47.9 h'],
    [48, '2 days'],
    [60, '2.5 days'],
    [24 * 1.01, '24.2 h'],
    [240, '10 days'],
  ])('%p hours reads %p', (hours, text) => {
    expect(formatHours(hours)).toBe(text);
  });
});

describe('formatCount', () => {
  test.each([
    [5.96, '6'],
    [25.83, '25.8'],
    [1825.2, '1,825'],
  ])('%p reads %p', (v, text) => {
    expect(formatCount(v)).toBe(text);
  });
});
