import { PipelineClientError, PipelineErrors } from '../../lib';

describe('PipelineClientError is one branded family', () => {
  test.each(['input', 'state', 'data'] as const)('kind %s: told apart by PipelineErrors.isClientError', (kind) => {
    const error = new PipelineClientError(kind, 'x');
    expect(PipelineErrors.isClientError(error)).toBe(true);
    expect(error).toMatchObject({ kind, name: 'PipelineClientError', message: 'x' });
    // Not one of the construct errors.
    expect(PipelineErrors.isValidationError(error)).toBe(false);
    expect(PipelineErrors.isCostModelError(error)).toBe(false);
  });

  test('the brand, not the class, decides: a plain Error or an SDK error is not a client error', () => {
    expect(PipelineErrors.isClientError(new Error('x'))).toBe(false);
    expect(PipelineErrors.isClientError(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(false);
    expect(PipelineErrors.isClientError(undefined)).toBe(false);
    // Another copy of the library brands with the same registered symbol.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('cdk-batch-pipelines.error-kind'), {
      value: 'client',
    });
    expect(PipelineErrors.isClientError(foreign)).toBe(true);
  });
});
