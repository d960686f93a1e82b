// Jest snapshot serializer: replaces asset hashes (64 hex chars, optionally with an extension) so that a snapshot
// changes only when the template does, not when an asset's bytes or the CDK version's hashing do.
const HAS_HASH = /[0-9a-f]{64}/;
const HASHES = /[0-9a-f]{64}(\.(zip|json|tar\.gz))?/g;

module.exports = {
  test(value) {
    return typeof value === 'string' && HAS_HASH.test(value);
  },
  serialize(value, config, indentation, depth, refs, printer) {
    return printer(value.replace(HASHES, '[ASSET HASH]'), config, indentation, depth, refs);
  },
};
