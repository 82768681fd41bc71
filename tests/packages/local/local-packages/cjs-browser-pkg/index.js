// A CommonJS package without exports: its `browser` field swaps a file for browser-like bundles, and it reads JSON.
const platform = require('./platform');
const data = require('./data.json');

exports.describe = function describe() {
  return { platform: platform.name, package: data.name, flags: data.flags };
};
exports.answer = 42;
