exports.name = 'browser';
