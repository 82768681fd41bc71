exports.name = 'server';
