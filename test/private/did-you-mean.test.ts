import { didYouMean } from '../../lib/private/did-you-mean';

describe('didYouMean', () => {
  test.each([
    ['videoID', ['videoId', 'inputUri'], 'videoId'],
    ['maxConcurency', ['maxConcurrency', 'timeout'], 'maxConcurrency'],
    ['smaple', ['sample'], 'sample'],
    ['timout', ['timeout', 'steps'], 'timeout'],
    ['ID', ['id', 'ip'], 'id'],
    ['vcpu', ['vcpus', 'gpus'], 'vcpus'],
    ['retryAttemps', ['retryAttempts', 'retryPolicy'], 'retryAttempts'],
  ])('%p is a near miss of %p: suggests %p', (value, candidates, expected) => {
    expect(didYouMean(value, candidates)).toBe(expected);
  });

  test.each([
    ['unrelated names', 'queue', ['image', 'memory']],
    ['a short name one letter off', 'ip', ['id']],
    ['a long name three letters off', 'maxConc', ['maxConcurrency']],
    ['a value that is itself a candidate', 'videoId', ['videoID', 'videoId']],
    ['no candidates', 'videoId', []],
  ])('%s: no suggestion', (_, value, candidates) => {
    expect(didYouMean(value as string, candidates as string[])).toBeUndefined();
  });

  test('the nearest wins over the first', () => {
    expect(didYouMean('memori', ['memoryMib', 'memory'])).toBe('memory');
  });
});
